"""Reads every .eml file in DIR with Python's e-mail parser and icalendar,
an independent reading of what the server sent, and prints one JSON line
per message: its Message-ID, To, Subject, the plain text, the
calendar's method, UID, SEQUENCE, DTSTAMP, DTSTART and DTEND (UTC, ISO
8601) when it has a text/calendar part, and its other attachments (file
name, content type, the decoded bytes in hexadecimal).

Usage: parse.py DIR
"""

import email
import email.policy
import json
import os
import sys

import icalendar


def main():
    directory = sys.argv[1]
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        out = {
            "file": name,
            "message_id": message["Message-ID"],
            "to": message["To"],
            "subject": message["Subject"],
            "text": None,
            "calendar": None,
            "attachments": [],
        }
        for part in message.walk():
            kind = part.get_content_type()
            if kind == "text/plain" and out["text"] is None:
                out["text"] = part.get_content()
            elif kind == "text/calendar":
                raw = part.get_payload(decode=True)
                calendar = icalendar.Calendar.from_ical(raw)
                events = [c for c in calendar.walk("VEVENT")]
                assert len(events) == 1, "one event"
                event = events[0]
                out["calendar"] = {
                    "content_type_method": part.get_param("method"),
                    "crlf": b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""),
                    "longest_line": max(len(line) for line in raw.split(b"\r\n")),
                    "method": str(calendar.get("METHOD")),
                    "uid": str(event.get("UID")),
                    "sequence": int(event.get("SEQUENCE")),
                    "dtstamp": event.decoded("DTSTAMP").isoformat(),
                    "dtstart": event.decoded("DTSTART").isoformat(),
                    "dtend": event.decoded("DTEND").isoformat(),
                    "summary": str(event.get("SUMMARY")),
                    "url": str(event.get("URL")),
                }
            elif part.get_filename() is not None:
                out["attachments"].append(
                    {
                        "filename": part.get_filename(),
                        "content_type": kind,
                        "hex": part.get_payload(decode=True).hex(),
                    }
                )
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
