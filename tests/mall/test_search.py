"""Keyword search with filters and sorting on every backend (M-01 search, M-02 categories, M-04 stores).

The mall world of `tests.mall.setup` plus a dozen approved products across the category tree, three
institutions and all four fulfilment types, and four that buyers must never find (awaiting review,
rejected, delisted, and an approved product whose edit awaits review). Every search asserts the exact set
(or order) of products found. The Hypothesis tests check the term index itself (`domain.mall.search`):
whatever part of a product's text a buyer types, the index holds the keyword's terms and the candidate
check accepts it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from attrs import define
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import FrozenClock, operator
from tests.mall.setup import ALL, MallWorld, approved, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.mall import search
from yiyangkang.services import institutions
from yiyangkang.services.institutions import InstitutionForm
from yiyangkang.services.mall import browse, catalogue, fulfilment, ratings
from yiyangkang.services.mall.browse import SearchForm
from yiyangkang.services.mall.catalogue import CategoryForm, ProductForm
from yiyangkang.services.mall.ratings import RatingForm

# Searchable text of the visible products (name | category path | tags | institution), for the reader:
#   A  = 越秀区颐康居家养老服务中心, A1 = 颐康北京街长者站, B = 天河区五山社区卫生服务中心
#   bath            上门助浴服务 | 居家照护 助浴服务 | 助浴 失能老人 | A            home_visit  150.00
#   rehab           康复理疗（到店） | 康复服务 | 康复 | A                            in_store    200.00
#   diapers         成人纸尿裤 L码 | 生活用品 | A                                    delivery     80.00
#   walker          铝合金助行器 | 康复服务 康复辅具 | A   {材质: 铝合金}            pickup      260.00
#   nursing_B       上门护理（专业护士） | 居家照护 上门护理 | 上门护理 | B          home_visit  120.00
#   bath_B          上门助浴（两人协助） | 居家照护 助浴服务 | 助浴 | B              home_visit  180.00
#   bath_chair      防滑助浴椅 45cm | 生活用品 | 洗澡椅 | A   {材质: 铝合金}        delivery    168.00
#   rehab_train     康复训练（偏瘫） | 康复服务 | 康复 中风 | B                      in_store    155.00
#   tcm             中医康复理疗 | 康复服务 中医理疗 | 推拿 艾灸 | A                in_store    220.00
#   nurse_split     专门护理上门服务 | 居家照护 | 夜间 | A                          home_visit   90.00
#   nurse_tags      夜间陪护 | 居家照护 | 上门 护理 | A                            home_visit   95.00
#   nursing_bed     电动护理床 | 生活用品 | A   {材质: 钢制}                         delivery   3800.00
#   home_nursing_A  上门护理服务（伤口换药） | 居家照护 上门护理 | 换药 | A         home_visit  130.00
#   meals           老年助餐（午餐） | 居家照护 助餐服务 | 助餐 | A1                 in_store     15.00
#   diapers_xl      成人纸尿裤 XL码 | 生活用品 | SF包邮 | A                         delivery     88.00
#   massager        颈椎按摩仪 | 生活用品 | A   (an edit to 颈椎热敷仪 awaits review)  delivery    299.00
# Never found: pending (上门助浴（待审核）), rejected (康复上门护理助浴套餐), delisted (助浴毛巾).
VISIBLE = {"bath", "rehab", "diapers", "walker", "nursing_B", "bath_B", "bath_chair", "rehab_train", "tcm",
           "nurse_split", "nurse_tags", "nursing_bed", "home_nursing_A", "meals", "diapers_xl", "massager"}
HIDDEN = {"pending", "rejected", "delisted"}
OF_A1 = {"meals"}
OF_B = {"nursing_B", "bath_B", "rehab_train"}
OF_A = VISIBLE - OF_A1 - OF_B


@define
class Shop:
    w: MallWorld
    clock: FrozenClock

    @property
    def rt(self) -> Container:
        return self.w.rt

    def key(self, ident: str) -> str:
        return next(k for k, v in self.w.products.items() if v == ident)

    def page(self, page: PageRequest = ALL, **form: Any) -> tuple[list[str], int]:
        found = browse.search_products(self.rt, self.w.p("elder_A"), SearchForm(**form), page)
        return [self.key(p.id) for p in found.items], found.total

    def order(self, **form: Any) -> list[str]:
        keys, total = self.page(**form)
        assert total == len(keys)
        return keys

    def find(self, keyword: str | None = None, **form: Any) -> set[str]:
        keys = self.order(keyword=keyword, **form)
        assert len(keys) == len(set(keys))
        return set(keys)

    def add(self, key: str, login: str, *, review: bool | None = True, **form: Any) -> str:
        """A product of `login`'s institution; approved (True), rejected (False) or left awaiting review."""
        principal = self.w.p(login)
        if review:
            ident = approved(self.rt, principal, ProductForm(**form))
        else:
            ident = catalogue.create_product(self.rt, principal, ProductForm(**form)).id
            if review is False:
                catalogue.review_product(self.rt, operator(), ident, approve=False, note="资质不全")
        self.w.products[key] = ident
        self.clock.advance(minutes=1)  # distinct creation times: "newest" has no ties
        return ident


def build_shop(rt: Container, clock: FrozenClock) -> Shop:
    w = build_mall(rt)
    op, c = operator(), w.categories
    for key, name, parent in [("tcm", "中医理疗", "rehab"), ("meals", "助餐服务", "care")]:
        c[key] = catalogue.create_category(rt, op, CategoryForm(name=name, parent_id=c[parent])).id
    shop = Shop(w, clock)
    clock.advance(minutes=1)
    shop.add("bath_B", "admin_B", fulfilment="home_visit", name="上门助浴（两人协助）", category_id=c["bath"],
             price_fen=18000, standard_minutes=90, tags=["助浴"])
    shop.add("bath_chair", "admin_A", fulfilment="delivery", name="防滑助浴椅 45cm", category_id=c["goods"],
             price_fen=16800, stock=10, unit="把", tags=["洗澡椅"], attributes={"材质": "铝合金"})
    shop.add("rehab_train", "admin_B", fulfilment="in_store", name="康复训练（偏瘫）", category_id=c["rehab"],
             price_fen=15500, standard_minutes=60, tags=["康复", "中风"])
    shop.add("tcm", "admin_A", fulfilment="in_store", name="中医康复理疗", category_id=c["tcm"], price_fen=22000,
             standard_minutes=60, tags=["推拿", "艾灸"])
    shop.add("nurse_split", "admin_A", fulfilment="home_visit", name="专门护理上门服务", category_id=c["care"],
             price_fen=9000, standard_minutes=60, tags=["夜间"])
    shop.add("nurse_tags", "admin_A", fulfilment="home_visit", name="夜间陪护", category_id=c["care"],
             price_fen=9500, standard_minutes=120, tags=["上门", "护理"])
    shop.add("nursing_bed", "admin_A", fulfilment="delivery", name="电动护理床", category_id=c["goods"],
             price_fen=380000, stock=2, unit="张", attributes={"材质": "钢制"})
    shop.add("home_nursing_A", "admin_A", fulfilment="home_visit", name="上门护理服务（伤口换药）",
             category_id=c["nursing"], price_fen=13000, standard_minutes=60, tags=["换药"])
    shop.add("meals", "admin_A1", fulfilment="in_store", name="老年助餐（午餐）", category_id=c["meals"],
             price_fen=1500, standard_minutes=30, tags=["助餐"])
    shop.add("diapers_xl", "admin_A", fulfilment="delivery", name="成人纸尿裤 XL码", category_id=c["goods"],
             price_fen=8800, stock=20, unit="包", tags=["SF包邮"])
    shop.add("massager", "admin_A", fulfilment="delivery", name="颈椎按摩仪", category_id=c["goods"],
             price_fen=29900, stock=4, unit="台")
    shop.add("pending", "admin_A", review=None, fulfilment="home_visit", name="上门助浴（待审核）",
             category_id=c["bath"], price_fen=14000, standard_minutes=60, tags=["助浴"])
    shop.add("rejected", "admin_A", review=False, fulfilment="home_visit", name="康复上门护理助浴套餐",
             category_id=c["care"], price_fen=30000, standard_minutes=90, tags=["康复", "上门护理", "助浴"])
    shop.add("delisted", "admin_A", fulfilment="delivery", name="助浴毛巾", category_id=c["goods"], price_fen=2000,
             stock=5, unit="条", tags=["助浴"])
    catalogue.set_listed(rt, w.p("admin_A"), w.products["delisted"], False)
    catalogue.update_product(rt, w.p("admin_A"), w.products["massager"], ProductForm(name="颈椎热敷仪"))
    return shop


@pytest.fixture
def shop(backend: Container, clock: FrozenClock) -> Shop:
    return build_shop(backend, clock)


def test_chinese_keywords_find_exactly_the_products_that_contain_them(shop: Shop) -> None:
    """M-01: 助浴, 康复, and 上门护理 as a phrase: 专门护理上门服务 holds its three pairs (上门, 门护, 护理) and
    夜间陪护's tags hold 上门 and 护理, yet neither says 上门护理."""
    assert shop.find("助浴") == {"bath", "bath_B", "bath_chair"}
    assert shop.find("康复") == {"rehab", "walker", "rehab_train", "tcm"}
    assert shop.find("上门护理") == {"nursing_B", "home_nursing_A"}
    assert shop.find("护理上门") == {"nurse_split"}
    assert shop.find("护理") == {"nursing_B", "nurse_split", "nurse_tags", "nursing_bed", "home_nursing_A"}
    assert shop.find("理疗") == {"rehab", "tcm"}
    assert shop.find("中医康复理疗") == {"tcm"}
    assert shop.find("床") == {"nursing_bed"}
    assert shop.find("纸尿裤") == {"diapers", "diapers_xl"}
    assert shop.find("助浴椅") == {"bath_chair"}
    assert shop.find("透析") == set()
    assert shop.find("浴助") == set()
    assert shop.find("助_") == set()  # LIKE wildcards are literal: not "助浴"
    assert shop.find("上门%护理") == set()


def test_category_and_institution_names_are_searchable(shop: Shop) -> None:
    """M-02: a category's name finds the products of its sub-categories; M-04: the store's name finds its
    products (A1 is A's station: its own name, not A's)."""
    assert shop.find("居家照护") == {"bath", "nursing_B", "bath_B", "nurse_split", "nurse_tags", "home_nursing_A",
                                    "meals"}
    assert shop.find("康复服务") == {"rehab", "walker", "rehab_train", "tcm"}
    assert shop.find("康复辅具") == {"walker"}
    assert shop.find("助浴服务") == {"bath", "bath_B"}
    assert shop.find("中医理疗") == {"tcm"}
    assert shop.find("生活用品") == {"diapers", "bath_chair", "nursing_bed", "diapers_xl", "massager"}
    assert shop.find("五山") == OF_B
    assert shop.find("天河区五山社区卫生服务中心") == OF_B
    assert shop.find("北京街") == OF_A1
    assert shop.find("颐康") == OF_A | OF_A1
    assert shop.find("越秀区颐康") == OF_A


def test_latin_digits_full_width_and_case(shop: Shop) -> None:
    """M-01: Latin and digit words match from their start, whatever the width or case typed."""
    for keyword in ("XL码", "xl码", "ＸＬ码", "Xl", "ｘｌ"):
        assert shop.find(keyword) == {"diapers_xl"}, keyword
    for keyword in ("SF", "sf", "ＳＦ", "sf包邮", "ＳＦ包邮", "s"):
        assert shop.find(keyword) == {"diapers_xl"}, keyword
    for keyword in ("45", "45cm", "45CM", "４５ｃｍ", "45c"):
        assert shop.find(keyword) == {"bath_chair"}, keyword
    assert shop.find("46") == set()
    for keyword in ("（专业护士）", "(专业护士)", "上门护理(专业护士)", "上门护理（专业护士）"):
        assert shop.find(keyword) == {"nursing_B"}, keyword
    assert shop.find("上门护理 （专业护士）") == {"nursing_B"}
    assert shop.find("上门护理-专业护士") == set()


def test_latin_keyword_matches_at_word_starts_only(shop: Shop) -> None:
    """M-01: the index holds prefixes of Latin words (`domain.mall.search`), so "L码" finds "成人纸尿裤 L码"
    and not "成人纸尿裤 XL码" -- on every backend alike (the memory fake once matched inside words)."""
    assert {k: shop.find(k) for k in ("L码", "l码", "Ｌ码", "L")} == {
        "L码": {"diapers"}, "l码": {"diapers"}, "Ｌ码": {"diapers"}, "L": {"diapers"}}


def test_several_keywords_must_all_match(shop: Shop) -> None:
    """M-01: words separated by spaces (half- or full-width) are ANDed, each matched as typed."""
    assert shop.find("上门 助浴") == {"bath", "bath_B"}
    assert shop.find("助浴\u3000上门") == {"bath", "bath_B"}
    assert shop.find("  助浴   五山 ") == {"bath_B"}
    assert shop.find("护理 颐康") == {"nurse_split", "nurse_tags", "nursing_bed", "home_nursing_A"}
    assert shop.find("上门 护理") == {"nursing_B", "nurse_split", "nurse_tags", "home_nursing_A"}
    assert shop.find("康复 北京街") == set()
    assert shop.find("纸尿裤 SF") == {"diapers_xl"}


def test_a_keyword_of_punctuation_only_finds_nothing(shop: Shop) -> None:
    """M-01: nothing searchable in the keyword: no results (not everything)."""
    for keyword in ("！", "？?", "（）", "-", "·…", "@#%_", "¥", "、。，", "| |"):
        assert shop.page(keyword=keyword) == ([], 0), keyword


def test_blank_keyword_means_no_keyword(shop: Shop) -> None:
    assert shop.find("   ") == VISIBLE
    assert shop.find(None) == VISIBLE


def test_filters_alone_and_with_keywords(shop: Shop) -> None:
    """M-02: category (with its descendants), fulfilment, price range (inclusive), institution, attributes."""
    c, w = shop.w.categories, shop.w
    assert shop.find(category_id=c["care"]) == {"bath", "nursing_B", "bath_B", "nurse_split", "nurse_tags",
                                                "home_nursing_A", "meals"}
    assert shop.find(category_id=c["rehab"]) == {"rehab", "walker", "rehab_train", "tcm"}
    assert shop.find(category_id=c["aids"]) == {"walker"}
    assert shop.find(category_id=c["tcm"]) == {"tcm"}
    assert shop.find(category_id=c["bath"]) == {"bath", "bath_B"}
    assert shop.find("上门", category_id=c["care"]) == {"bath", "nursing_B", "bath_B", "nurse_split", "nurse_tags",
                                                       "home_nursing_A"}
    assert shop.find("理疗", category_id=c["tcm"]) == {"tcm"}
    assert shop.find("助浴", category_id=c["goods"]) == {"bath_chair"}
    assert shop.find("助浴", category_id=c["rehab"]) == set()

    assert shop.find(fulfilment="delivery") == {"diapers", "bath_chair", "nursing_bed", "diapers_xl", "massager"}
    assert shop.find(fulfilment="pickup") == {"walker"}
    assert shop.find(fulfilment="in_store") == {"rehab", "rehab_train", "tcm", "meals"}
    assert shop.find("助浴", fulfilment="home_visit") == {"bath", "bath_B"}
    assert shop.find("康复", fulfilment="in_store") == {"rehab", "rehab_train", "tcm"}

    assert shop.find(min_price_fen=15000, max_price_fen=20000) == {"bath", "rehab", "bath_B", "bath_chair",
                                                                   "rehab_train"}
    assert shop.find(max_price_fen=9000) == {"diapers", "nurse_split", "meals", "diapers_xl"}
    assert shop.find(min_price_fen=100000) == {"nursing_bed"}
    assert shop.find(min_price_fen=15000, max_price_fen=15000) == {"bath"}
    assert shop.find("助浴", min_price_fen=16000) == {"bath_chair", "bath_B"}
    assert shop.find("康复", max_price_fen=15500) == {"rehab_train"}

    assert shop.find(institution_id=w.world.inst["B"]) == OF_B
    assert shop.find(institution_id=w.world.inst["A1"]) == OF_A1
    assert shop.find(institution_id=w.world.inst["A"]) == OF_A
    assert shop.find("上门护理", institution_id=w.world.inst["B"]) == {"nursing_B"}
    assert shop.find(institution_id=w.world.inst["A2"]) == set()

    assert shop.find(attributes={"材质": "铝合金"}) == {"walker", "bath_chair"}
    assert shop.find(attributes={" 材质": "铝合金 "}) == {"walker", "bath_chair"}
    assert shop.find(attributes={"材质": "钢制"}) == {"nursing_bed"}
    assert shop.find(attributes={"服务人员": "护理员"}) == {"bath"}
    assert shop.find(attributes={"材质": "铝合金", "服务人员": "护理员"}) == set()
    assert shop.find(attributes={"材质": "铝"}) == set()
    assert shop.find("助浴", attributes={"材质": "铝合金"}) == {"bath_chair"}
    assert shop.find("铝合金") == {"walker"}  # attributes are filters, not keyword text; the name says 铝合金

    assert shop.find("康复", category_id=c["rehab"], fulfilment="in_store", min_price_fen=16000,
                     institution_id=w.world.inst["A"]) == {"rehab", "tcm"}


def test_sorting_by_price_newest_sales_and_rating(shop: Shop) -> None:
    """M-01: sort by price either way, newest first, sales (the default) and average rating."""
    assert shop.order(keyword="助浴", sort="price_asc") == ["bath", "bath_chair", "bath_B"]
    assert shop.order(keyword="助浴", sort="price_desc") == ["bath_B", "bath_chair", "bath"]
    assert shop.order(keyword="助浴", sort="newest") == ["bath_chair", "bath_B", "bath"]
    assert shop.page(PageRequest(1, 5), sort="price_asc") == (
        ["meals", "diapers", "diapers_xl", "nurse_split", "nurse_tags"], len(VISIBLE))
    assert shop.page(PageRequest(1, 2), sort="price_desc") == (["nursing_bed", "massager"], len(VISIBLE))

    w = shop.w
    w.buy(("bath_chair", 3), ("bath", 1))
    assert shop.order(keyword="助浴", sort="sales") == ["bath_chair", "bath", "bath_B"]
    assert shop.order(keyword="助浴") == ["bath_chair", "bath", "bath_B"]  # sales is the default
    found = browse.search_products(shop.rt, w.p("elder_A"), SearchForm(keyword="助浴椅"), ALL).items
    assert [(p.sales, p.stock) for p in found] == [(3, 7)]

    admin = w.p("admin_A")
    for key, stars in (("rehab", 3), ("tcm", 5)):
        sub = w.buy((key, 1)).sub_orders[0]
        assert sub.verify_code is not None
        fulfilment.verify(shop.rt, admin, sub.verify_code)
        ratings.rate(shop.rt, w.p("elder_A"), RatingForm(sub_order_id=sub.id, stars=stars))
    ranked = shop.order(keyword="康复", sort="rating")
    assert ranked[:2] == ["tcm", "rehab"]
    assert set(ranked[2:]) == {"walker", "rehab_train"}
    views = browse.search_products(shop.rt, w.p("elder_A"), SearchForm(keyword="理疗", sort="rating"), ALL).items
    assert [(shop.key(p.id), p.rating, p.rating_count, p.sales) for p in views] == [("tcm", 5.0, 1, 1),
                                                                                  ("rehab", 3.0, 1, 1)]


def test_paging_totals(shop: Shop) -> None:
    """M-01: every page reports the same total; the pages together hold every match once."""
    seen: list[str] = []
    for n, size in ((1, 5), (2, 5), (3, 5)):
        keys, total = shop.page(PageRequest(n, 5), keyword="颐康", sort="price_asc")
        assert total == len(OF_A | OF_A1)
        assert len(keys) == (size if n < 3 else 3)
        seen += keys
    assert sorted(seen) == sorted(OF_A | OF_A1)
    assert shop.page(PageRequest(4, 5), keyword="颐康") == ([], len(OF_A | OF_A1))
    assert shop.page(PageRequest(1, 1), keyword="上门护理", sort="price_asc") == (["nursing_B"], 2)
    assert shop.page(PageRequest(2, 1), keyword="上门护理", sort="price_asc") == (["home_nursing_A"], 2)
    assert shop.page(PageRequest(1, 3)) == (shop.order()[:3], len(VISIBLE))


def test_only_approved_listed_live_content_is_ever_found(shop: Shop) -> None:
    """M-01/A-03: products awaiting review, rejected or delisted never appear; an approved product's edit
    waits for review while search keeps finding (and showing) the approved content."""
    w, rt, admin = shop.w, shop.rt, shop.w.p("admin_A")
    assert shop.find() == VISIBLE
    assert shop.find("待审核") == set()
    assert shop.find("套餐") == set()
    assert shop.find("毛巾") == set()
    assert shop.find("助浴", sort="price_asc") == {"bath", "bath_B", "bath_chair"}
    assert shop.find(category_id=w.categories["bath"]) == {"bath", "bath_B"}
    assert shop.find(max_price_fen=2000) == {"meals"}

    assert shop.find("按摩") == {"massager"}
    assert shop.find("热敷") == set()
    shown = browse.search_products(rt, w.p("elder_A"), SearchForm(keyword="颈椎"), ALL).items
    assert [p.content.name for p in shown] == ["颈椎按摩仪"]
    catalogue.update_product(rt, admin, w.products["massager"], ProductForm(price_fen=19900))
    assert shop.find("按摩", max_price_fen=20000) == set()  # the pending price is not on sale either
    assert shop.find("按摩", min_price_fen=29900) == {"massager"}

    catalogue.review_product(rt, operator(), w.products["massager"], approve=True, note="同意")
    assert shop.find("按摩") == set()
    assert shop.find("热敷", max_price_fen=20000) == {"massager"}

    catalogue.update_product(rt, admin, w.products["massager"], ProductForm(name="颈椎理疗仪"))
    catalogue.review_product(rt, operator(), w.products["massager"], approve=False, note="名称不符")
    assert shop.find("颈椎") == {"massager"}
    assert shop.find("理疗仪") == set()  # refused: the approved version stays on sale
    assert shop.find("热敷") == {"massager"}

    catalogue.set_listed(rt, admin, w.products["massager"], False)
    assert shop.find("热敷") == set()
    assert shop.find(fulfilment="delivery") == {"diapers", "bath_chair", "nursing_bed", "diapers_xl"}
    catalogue.set_listed(rt, admin, w.products["delisted"], True)
    assert shop.find("毛巾") == {"delisted"}

    catalogue.review_product(rt, operator(), w.products["pending"], approve=True, note="同意")
    assert shop.find("助浴", sort="price_asc") == {"bath", "bath_B", "bath_chair", "pending", "delisted"}
    catalogue.set_listed(rt, admin, w.products["rejected"], False)
    catalogue.set_listed(rt, admin, w.products["rejected"], True)  # listing content never approved: nothing
    assert shop.find("套餐") == set()


def test_a_renamed_category_is_found_by_its_new_name(shop: Shop) -> None:
    """M-02: the category keyword follows the operators' renaming, for the products of its sub-categories too."""
    catalogue.update_category(shop.rt, operator(), shop.w.categories["bath"], CategoryForm(name="洗浴服务"))
    assert shop.find("洗浴服务") == {"bath", "bath_B"}
    assert shop.find("助浴服务") == {"bath"}  # only where the product's own name says it
    catalogue.update_category(shop.rt, operator(), shop.w.categories["care"], CategoryForm(name="居家生活照护"))
    assert shop.find("居家生活照护") == {"bath", "nursing_B", "bath_B", "nurse_split", "nurse_tags",
                                        "home_nursing_A", "meals"}
    assert shop.find("居家照护") == set()


def test_a_renamed_institution_is_found_by_its_new_name(shop: Shop) -> None:
    """M-04: the store's name follows the institution's renaming."""
    institutions.update_institution(shop.rt, operator(), shop.w.world.inst["B"],
                                    InstitutionForm(name="天河区石牌社区卫生服务中心"))
    assert shop.find("五山") == set()
    assert shop.find("石牌") == OF_B


@pytest.mark.parametrize(("form", "fields"), [
    (SearchForm(min_price_fen=20000, max_price_fen=10000), {"max_price_fen"}),
    (SearchForm(sort="cheapest"), {"sort"}),
    (SearchForm(sort="PRICE_ASC"), {"sort"}),
    (SearchForm(fulfilment="courier"), {"fulfilment"}),
    (SearchForm(min_price_fen=-1), {"min_price_fen"}),
    (SearchForm(keyword="助浴" * 21), {"keyword"}),
    (SearchForm(category_id="no-such-category"), {"category_id"}),
    (SearchForm(sort="rank", fulfilment="mail", min_price_fen=5, max_price_fen=4), {"sort", "fulfilment",
                                                                                     "max_price_fen"}),
])
def test_bad_search_forms_are_refused_field_by_field(backend: Container, form: SearchForm,
                                                      fields: set[str]) -> None:
    """M-01: 422 with the offending fields (min above max, unknown sort or fulfilment, …)."""
    with pytest.raises(ValidationFailed) as caught:
        browse.search_products(backend, operator(), form, ALL)
    assert {e.field for e in caught.value.errors} == fields


# --- the term index (domain.mall.search) -------------------------------------------------------------------

CJK = "上门护理助浴康复训练中医理疗老年助餐床椅服务居家照护纸尿裤颐康五山"
LATIN = "abcxyzLSFM019"
OTHER = " \u3000（）()-·,，!！@_%"
FULL_WIDTH = "ＡＢＬＳＦｘｌ０１９"
_LATIN_WORD = re.compile(r"[0-9a-z]")

texts = st.lists(st.text(alphabet=CJK + LATIN + OTHER + FULL_WIDTH, min_size=1, max_size=30), min_size=1,
                 max_size=4)


def _typed(keyword: str, style: int) -> str:
    """The keyword as a buyer might type it: as is, in capitals, or in full-width characters."""
    if style == 1:
        return keyword.upper()
    if style == 2:
        return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch
                       for ch in keyword)
    return keyword


@given(texts, st.data(), st.integers(0, 2))
@example(["上门护理（专业护士）"], None, 2)
def test_any_part_of_a_text_starting_at_a_word_is_found(texts: list[str], data: Any, style: int) -> None:
    """M-01: a keyword cut from a product's normalised text (Latin words from their start) has all its terms
    in the product's index, and passes the candidate check against the product's search text."""
    which = data.draw(st.integers(0, len(texts) - 1)) if data is not None else 0
    text = search.normalize(texts[which])
    if data is None:
        start, end = 0, len(text)
    else:
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
    while 0 < start < end and _LATIN_WORD.match(text[start]) and _LATIN_WORD.match(text[start - 1]):
        start -= 1  # the index holds prefixes of Latin words: a keyword starts where a word starts
    keyword = _typed(text[start:end], style)
    wanted = search.query_terms(keyword)
    assert wanted <= search.index_terms(texts)
    assert search.matches(keyword, search.search_text(texts))
    if any(ch.isalnum() for ch in text[start:end]):
        assert wanted  # something searchable is searched for


@given(texts, st.text(alphabet=CJK + LATIN + OTHER + FULL_WIDTH, max_size=12))
def test_the_candidate_check_never_accepts_what_the_index_rules_out_in_chinese(texts: list[str],
                                                                             keyword: str) -> None:
    """M-01: for a keyword without Latin letters, the index and the candidate check agree: whatever
    `matches` accepts, the index finds (so the SQL and memory searches return the same products)."""
    keyword = "".join(ch for ch in keyword if not search.normalize(ch).isascii() or not ch.isalnum())
    if search.query_terms(keyword) and search.matches(keyword, search.search_text(texts)):
        assert search.query_terms(keyword) <= search.index_terms(texts)


def test_index_terms_by_example() -> None:
    assert search.index_terms(["上门护理"]) == {"上", "门", "护", "理", "上门", "门护", "护理"}
    assert search.index_terms(["L码 SF包邮"]) == {"l", "码", "s", "sf", "包", "邮", "包邮"}
    assert search.query_terms("上门护理") == {"上门", "门护", "护理"}
    assert search.query_terms("ＳＦ 助") == {"sf", "助"}
    assert search.query_terms("（）！") == set()
    assert search.phrases(" 上门\u3000护理 ") == ["上门", "护理"]
    assert search.matches("护理 上门", search.search_text(["专门护理上门服务"]))
    assert not search.matches("上门护理", search.search_text(["专门护理上门服务", "上门", "护理"]))
