"""Who runs this installation: the province and its Public Administrative Service Centre, as
configured, so that another province can run motcua without changing code. Pages and notices
name the centre from here, never from a constant.

    PROVINCE_NAME    Lào Cai
    CENTRE_NAME      Trung tâm Phục vụ hành chính công tỉnh Lào Cai
    CENTRE_ADDRESS   where citizens come (the defaults name Lào Cai's two facilities since 2025)
    CENTRE_HOTLINE   the centre's telephone line; none by default (the page then shows none)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Centre:
    province: str = "Lào Cai"
    name: str = "Trung tâm Phục vụ hành chính công tỉnh Lào Cai"
    address: str = "Cơ sở 1: phường Yên Bái; cơ sở 2: phường Cam Đường, tỉnh Lào Cai"
    hotline: str = ""


def centre_from_env(environ: Mapping[str, str] | None = None) -> Centre:
    env = os.environ if environ is None else environ
    default = Centre()

    def value(name: str, fallback: str) -> str:
        text = env.get(name, "").strip()
        if len(text) > 300:
            raise ValueError(f"{name}: at most 300 characters, got {len(text)}")
        return text or fallback

    return Centre(province=value("PROVINCE_NAME", default.province),
                  name=value("CENTRE_NAME", default.name),
                  address=value("CENTRE_ADDRESS", default.address),
                  hotline=value("CENTRE_HOTLINE", default.hotline))
