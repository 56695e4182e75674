"""Known vulnerabilities in the pinned requirements: `python tools/audit_requirements.py [FILE ...]`.

Runs `pip-audit` on each requirements file (default requirements.txt). Fails (exit 1) only when a
vulnerability is found. When PyPI's vulnerability data cannot be reached, that is said plainly and
the audit does not fail: a network problem is not a finding.

pip-audit asks PyPI about each exact version. Where that answer is missing (some mirrors and
proxies serve the project pages but not the per-version ones: pip-audit then reports "not found
on PyPI"), each direct pin is checked against its project page instead, whose vulnerability list
is that of the newest release: it audits a pin that is the newest release and leaves the others
reported as not audited.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_PAGE = "https://pypi.org/pypi/{name}/json"
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run_pip_audit(path: Path) -> tuple[Optional[list[dict]], str]:
    """pip-audit's dependencies (None when it could not run) and what it said on stderr."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        result = subprocess.run(
            [sys.executable, "-m", "pip_audit", "-r", str(path), "--format", "json", "--progress-spinner", "off",
             "-o", report.name],
            capture_output=True, text=True, timeout=900)
        try:
            return json.loads(Path(report.name).read_text() or "null")["dependencies"], result.stderr
        except (ValueError, TypeError, KeyError):
            return None, result.stderr


def project_vulnerabilities(name: str, version: str) -> tuple[Optional[list[dict]], str]:
    """The vulnerabilities of a pin that is the project's newest release; None (with why) when
    this cannot tell."""
    try:
        with urllib.request.urlopen(PROJECT_PAGE.format(name=name), timeout=30) as response:
            page = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"project page unreachable ({type(exc).__name__})"
    latest = page.get("info", {}).get("version")
    if latest != version:
        return None, f"pinned {version}, newest {latest}: only the newest release's data is published there"
    return list(page.get("vulnerabilities") or []), ""


def audit(path: Path) -> tuple[list[str], list[str], int]:
    """(vulnerabilities found, packages not audited with why, packages audited)."""
    findings: list[str] = []
    unaudited: list[str] = []
    dependencies, stderr = run_pip_audit(path)
    if dependencies is None:
        print(f"pip-audit could not run on {path.name}; PyPI's vulnerability data may be unreachable:\n"
              f"{stderr.strip()[-1500:]}", file=sys.stderr)
        dependencies = [{"name": name, "version": version, "skip_reason": "pip-audit did not run"}
                        for name, version in pins(path).items()]
    audited = 0
    direct = pins(path)
    for dependency in dependencies:
        name = normalise(dependency["name"])
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            findings.append(f"{name} {dependency.get('version')}: {vuln.get('id')} (fixed in {fixed})")
        if "skip_reason" not in dependency:
            audited += 1
            continue
        if name not in direct:
            unaudited.append(f"{name} (dependency of a pin): {dependency['skip_reason']}")
            continue
        vulns, why = project_vulnerabilities(name, direct[name])
        if vulns is None:
            unaudited.append(f"{name} {direct[name]}: {why}")
            continue
        audited += 1
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fixed_in", [])) or "no fixed release"
            findings.append(f"{name} {direct[name]}: {vuln.get('id')} (fixed in {fixed})")
    return findings, unaudited, audited


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [REPO_ROOT / "requirements.txt"]
    failed = False
    for path in files:
        findings, unaudited, audited = audit(path)
        print(f"{path.name}: {audited} package(s) audited, {len(findings)} known vulnerability(ies)")
        for finding in findings:
            print(f"  VULNERABLE {finding}")
        if unaudited:
            print(f"  not audited: {len(unaudited)} package(s) - PyPI's vulnerability data for their versions "
                  "could not be reached (a network limit, not a finding):")
            for line in unaudited:
                print(f"    {line}")
        failed = failed or bool(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
