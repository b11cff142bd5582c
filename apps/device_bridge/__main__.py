"""`python -m apps.device_bridge` (or `yyk bridge`): run the device bridge until interrupted."""

from __future__ import annotations

import logging
import signal

from apps.device_bridge.bridge import Bridge
from yiyangkang.bootstrap import build


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = build()
    bridge = Bridge(rt)
    signal.signal(signal.SIGTERM, lambda *_: bridge.stopping.set())
    try:
        bridge.run_forever()
    except KeyboardInterrupt:
        bridge.stop()
    finally:
        rt.dispose()


if __name__ == "__main__":
    main()
