from pathlib import Path

# Files that real programs wrote (see files/README.md).
FILES = Path(__file__).parent / "files"
