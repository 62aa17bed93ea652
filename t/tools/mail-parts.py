#!/usr/bin/python3
"""Reads RFC 5322 messages (.eml files, or raw bytes on stdin with "-")
with Python's email module, the way a mail client would, and prints one
JSON object per message: {to, subject, text, html, attachments:
[{filename, contentType, data}], structure: [content types, depth-first]}.
Used by t/booking-mail.t."""
import email
import email.policy
import json
import sys

out = []
for path in sys.argv[1:]:
    raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    m = {"to": str(msg["To"]), "subject": str(msg["Subject"]), "text": None, "html": None,
         "attachments": [], "structure": [p.get_content_type() for p in msg.walk()]}
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            m["attachments"].append({"filename": part.get_filename(),
                                     "contentType": part.get("Content-Type"),
                                     "data": part.get_payload(decode=True).decode("utf-8")})
        elif part.get_content_type() == "text/plain":
            m["text"] = part.get_content().replace("\r\n", "\n")
        elif part.get_content_type() == "text/html":
            m["html"] = part.get_content().replace("\r\n", "\n")
    out.append(m)
print(json.dumps(out, ensure_ascii=False))
