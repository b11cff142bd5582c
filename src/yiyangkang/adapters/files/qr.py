"""QR codes as PNG images (qrcode + pypng: pure Python, no imaging library to install)."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage


def qr_png(text: str, *, box_size: int = 8) -> bytes:
    """A PNG of `text` with medium error correction, readable off a printed poster or a phone screen."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()
