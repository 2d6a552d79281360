"""Issue 18 item 2 (§12 uploads): every route that serves a user-uploaded file goes through the one
helper, ``syllabus.core.files.serve_upload`` (sniffed allow-listed type, attachment unless a PDF or
an image, nosniff, sandboxing CSP).  A new route that builds its own FileResponse fails here."""
from pathlib import Path

import syllabus
from syllabus.core.files import FALLBACK_TYPE, safe_filename, served_type, sniff_bytes

ROOT = Path(syllabus.__file__).parent


def test_no_route_streams_a_file_except_through_serve_upload():
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if p.name != "files.py" and "FileResponse(" in p.read_text(encoding="utf-8")]
    assert offenders == [], f"stream uploaded files with syllabus.core.files.serve_upload, not FileResponse: {offenders}"


def test_types_that_can_carry_script_are_served_as_opaque_bytes():
    for head in (b"<!DOCTYPE html><html><script>x</script>", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
                 b"<?xml version='1.0'?><x:html xmlns:x='http://www.w3.org/1999/xhtml'/>"):
        assert served_type(sniff_bytes(head)) == FALLBACK_TYPE, head
    assert served_type(sniff_bytes(b"%PDF-1.7\n")) == "application/pdf"
    assert served_type("text/html; charset=utf-8") == FALLBACK_TYPE


def test_download_names_carry_no_path_quote_or_misleading_extension():
    assert safe_filename('../../etc/"evil".html', FALLBACK_TYPE) == "evil"
    assert safe_filename("scan.html", "application/pdf") == "scan.pdf"
    assert safe_filename("chapter one.pdf", "application/pdf") == "chapter one.pdf"
    assert safe_filename("a\r\nSet-Cookie: x.pdf", "application/pdf") == "aSet-Cookie x.pdf"
