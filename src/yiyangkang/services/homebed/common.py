"""What the home-bed use cases share: numbers, uploads, scoped loading, settings, an object's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from yiyangkang.domain.homebed.config import SETTINGS_ID, BusinessSettings
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.numbering import next_number as next_number  # re-exported for the home-bed use cases
from yiyangkang.services.objects import Upload as Upload
from yiyangkang.services.objects import events_of as events_of
from yiyangkang.services.objects import load_owned as load_owned
from yiyangkang.services.objects import read_file as read_file
from yiyangkang.services.objects import store_upload as store_upload
from yiyangkang.services.objects import stored_uploads as stored_uploads
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.staff import check_worker as check_worker

T = TypeVar("T")


def today(rt: Runtime) -> date:
    return business_date(rt.clock.now())


def current_settings(uow: UnitOfWork, now: datetime) -> BusinessSettings:
    """The business settings, or the defaults until an operator saves some."""
    return uow.homebed_settings.get(SETTINGS_ID) or BusinessSettings(id=SETTINGS_ID, created_at=now)
