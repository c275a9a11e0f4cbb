"""The demo is realistic: valid organisations and declarations in every state, made by the real code."""

from __future__ import annotations

from pathlib import Path

from stdnum.cn import uscc

from onewindow.bootstrap import bootstrap
from onewindow.declarations.model import Status
from onewindow.demo.loader import load_demo
from onewindow.persistence.schema import metadata
from onewindow.settings import Settings


async def test_the_demo_has_declarations_in_every_state_and_valid_credit_codes(tmp_path: Path) -> None:
    ow = bootstrap(Settings(data_dir=tmp_path))
    metadata.create_all(ow.engines.write)
    await ow.start()
    try:
        result = await load_demo(ow, declarations_count=300)
        with ow.engines.read.connect() as conn:
            codes = (
                conn.exec_driver_sql("SELECT uscc FROM organisations WHERE uscc IS NOT NULL").scalars().all()
            )
    finally:
        await ow.stop()
    assert result["declarations"] == 300
    assert set(result["by_status"]) == {s.value for s in Status}
    assert codes and all(uscc.is_valid(c) for c in codes)
