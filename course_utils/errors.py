"""The one error for a file a learner or the course supplied that cannot be trusted.

Every loader in the course (prices, throughputs, measurements, datasets, facts, model configs)
raises `DataFileError`, whose message names the file, the line, the field and, where there is
one, the fix:

    data/tasks/train.jsonl, line 12, field 'messages[1].content': expected a string, got int (42).

What this leaves out: errors about arguments (those are `ValueError`s that name the argument)
and about models (`course_utils.model.load` has its own, which say how to get the model).
"""

from __future__ import annotations

from pathlib import Path


class DataFileError(ValueError):
    """A data file that cannot be trusted; ``path``, ``line`` and ``field`` are kept as attributes.

    ``csv=True`` says the file has a header line, so line N is data row N - 1 (and line 1 is
    the header): the message gives both, since a spreadsheet shows data rows.
    """

    def __init__(self, path: Path | str, line: int | None = None, field: str | None = None,
                 message: str = "", *, csv: bool = False):
        self.path, self.line, self.field, self.reason = str(path), line, field, message
        where = self.path
        if line is not None:
            if csv:
                where += f", line {line} (data row {line - 1})" if line > 1 else ", line 1 (header)"
            else:
                where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
