"""The words of the rules of extracts (trích lục) and officials' signatures."""

from __future__ import annotations

from domain.rules.codes import Code, Rule, Term

_SUBJECT = "CN=Lò Văn Páo, T=Chủ tịch UBND huyện Đồng Văn, O=Sở Tư pháp tỉnh Hà Giang, C=VN"

SIGNATURE_RULES: dict[Code, Rule] = {
    Code.EXTRACT_ONLY_PUBLISHED: Rule(
        "only a published entry has extracts; this one is {status}",
        "Chỉ cấp trích lục cho bản ghi đã công bố; bản ghi này đang ở trạng thái “{status}”.",
        {"status": "verified"},
        {"status": Term.ENTRY_STATUS},
    ),
    Code.EXTRACT_NOT_ISSUED: Rule(
        "no extract {sha256} was issued for this record",
        "Không có trích lục {sha256} nào được cấp cho bản ghi này.",
        {"sha256": "9f86d081884c7d65…"},
    ),
    Code.CERTIFICATE_EXPIRED: Rule(
        "the certificate of {subject} expired on {not_after}",
        "Chứng thư số của {subject} đã hết hạn ngày {not_after}.",
        {"subject": _SUBJECT, "not_after": "2025-11-30"},
    ),
    Code.CERTIFICATE_NOT_YET_VALID: Rule(
        "the certificate of {subject} is valid only from {not_before}",
        "Chứng thư số của {subject} chỉ có hiệu lực từ ngày {not_before}.",
        {"subject": _SUBJECT, "not_before": "2027-01-01"},
    ),
    Code.CERTIFICATE_REVOKED: Rule(
        "the certificate of {subject} was revoked on {revoked_at}",
        "Chứng thư số của {subject} đã bị thu hồi ngày {revoked_at}.",
        {"subject": _SUBJECT, "revoked_at": "2026-11-28T02:00:00+00:00"},
    ),
    Code.CERTIFICATE_NOT_TRUSTED: Rule(
        "the certificate of {subject} does not chain to a configured trust root ({reason})",
        "Chứng thư số của {subject} không thuộc chuỗi của một CA gốc được tin cậy ({reason}).",
        {"subject": _SUBJECT, "reason": "no path to a trust root"},
    ),
    Code.CERTIFICATE_KEY_USAGE: Rule(
        "the certificate of {subject} is not for signing (key usage must allow {required})",
        "Chứng thư số của {subject} không dùng để ký (mục đích khóa phải gồm {required}).",
        {"subject": _SUBJECT, "required": "digital_signature, non_repudiation"},
    ),
    Code.CERTIFICATE_REVOCATION_UNKNOWN: Rule(
        "whether the certificate of {subject} is revoked cannot be told ({reason})",
        "Không xác định được chứng thư số của {subject} có bị thu hồi hay không ({reason}).",
        {"subject": _SUBJECT, "reason": "no CRL for its issuer"},
    ),
    Code.SIGNING_TOKEN_ABSENT: Rule(
        "the signing token {token} is absent ({reason})",
        "Không có thiết bị ký số (token) {token} ({reason}).",
        {"token": "hotich-dev", "reason": "no token with this label"},
    ),
    Code.SIGNING_TOKEN_LOCKED: Rule(
        "the signing token {token} is locked ({reason})",
        "Thiết bị ký số (token) {token} đang bị khóa ({reason}).",
        {"token": "hotich-dev", "reason": "PIN refused"},
    ),
    Code.SIGNING_KEY_ABSENT: Rule(
        "the signing token {token} holds no key and certificate labelled {label}",
        "Thiết bị ký số {token} không có khóa và chứng thư số mang nhãn {label}.",
        {"token": "hotich-dev", "label": "official"},
    ),
    Code.SIGNING_FAILED: Rule(
        "the signing token {token} refused to sign ({reason})",
        "Thiết bị ký số {token} từ chối ký ({reason}).",
        {"token": "hotich-dev", "reason": "CKR_DEVICE_ERROR"},
    ),
    Code.PUBLICATION_SIGNATURE_REQUIRED: Rule(
        "publishing in province {province} needs the verifier's own signature "
        "(official_signature: a detached CMS over the entry's publication-statement)",
        "Công bố ở tỉnh {province} phải có chữ ký số của người kiểm tra (official_signature).",
        {"province": "02"},
    ),
    Code.SIGNATURE_INVALID: Rule(
        "the signature does not verify ({reason})",
        "Chữ ký số không hợp lệ ({reason}).",
        {"reason": "the message digest differs from the content's"},
    ),
}
