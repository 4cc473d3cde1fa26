"""Check the management-plane posture of vaults declared in ARM templates.

pip install "safevault[posture]"   # only needed for live checks (fetch)
python examples/posture_audit.py examples/posture/hardened.json examples/posture/open.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from safevault.posture import check, load_arm

HERE = Path(__file__).parent


def main(paths: list[str]) -> int:
    paths = paths or [str(HERE / "posture" / "hardened.json"), str(HERE / "posture" / "open.json")]
    worst = 0
    for path in paths:
        report = check(load_arm(path))
        failed = [f for f in report.findings if f.verdict.value == "FAIL"]
        print(f"\n{path}: {len(report.findings)} findings, {len(failed)} failed")
        print(report.to_table())
        worst = max(worst, 1 if failed else 0)
    return 0 if "--strict" not in sys.argv else worst


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if not a.startswith("--")]))
