"""The Windows version resource of both executables, made from ecs_field.__version__.

PyInstaller's ``version=`` takes a file in its VSVersionInfo text form; this writes one so the
version shown in Explorer's Details tab and the installer's come from the one version source.
"""

from __future__ import annotations

from pathlib import Path


def version_tuple(version: str) -> tuple[int, int, int, int]:
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in version.split(".")[:4]]
    return tuple([*parts, 0, 0, 0, 0][:4])  # type: ignore[return-value]


def version_file_text(version: str) -> str:
    numbers = version_tuple(version)
    strings = {
        "CompanyName": "ECS Field Kit developers",
        "FileDescription": "ECS Field Kit",
        "FileVersion": version,
        "InternalName": "ecs-field",
        "LegalCopyright": "Apache-2.0",
        "OriginalFilename": "ecs-field.exe",
        "ProductName": "ECS Field Kit",
        "ProductVersion": version,
    }
    string_structs = ",\n".join(f"            StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
{string_structs}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_version_file(version: str, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(version_file_text(version), encoding="utf-8")
    return str(target)
