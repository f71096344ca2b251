"""doit's own command line in a checkout: the tasks are in pressroom/tasks.py.

    .venv/bin/doit list
    .venv/bin/doit manuscript=manuscript/paper.md          # build
    .venv/bin/doit manuscript=PATH out=DIR template=NAME

`python3 build.py` and `pressroom` do not read this file: they hand doit
the settings through a task loader (pressroom.tasks.BuildLoader).
"""

from doit import get_var

from pressroom.tasks import dodo_namespace

DOIT_CONFIG, task_pressroom = dodo_namespace(get_var("manuscript", "manuscript"), get_var("out", None),
                                             get_var("template", None))
