"""``make security``'s dependency audit: pip-audit over the installed packages.

Known vulnerabilities fail (exit 1). When the vulnerability data cannot be reached (no
network, or an index mirror without PyPI's JSON API), it says so loudly and exits 0: the
audit then has to run where the index is reachable (CI).

    python -m tests.security.pip_audit
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    exe = Path(sys.executable).with_name("pip-audit")
    command = [str(exe) if exe.exists() else (shutil.which("pip-audit") or "pip-audit"),
               "--skip-editable", "--progress-spinner", "off", "-f", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit: SKIPPED, could not run ({exc})")
        return 0
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print("pip-audit: SKIPPED, the package index could not be reached:\n" + done.stderr[-2000:])
        return 0
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        return 1
    if deps and len(skipped) == len(deps):
        print(f"pip-audit: NOT AUDITED - none of the {len(deps)} dependencies could be looked "
              "up (the index reachable here has no vulnerability data); run `make security` "
              "where https://pypi.org is reachable.")
        return 0
    print(f"pip-audit: no known vulnerability in {len(deps) - len(skipped)} dependencies"
          + (f" ({len(skipped)} could not be looked up)" if skipped else "") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
