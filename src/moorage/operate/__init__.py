"""Day-two operations on a deployed environment: logs, one-off tasks, ECS Exec, secrets, environments, links.

Each module reads what a deploy left behind (stack outputs, see :mod:`moorage.operate.deployed`) and
talks to AWS or the embedded emulator through a :class:`moorage.deploy.session.Target`. The CLI
(:mod:`moorage.cli.operate`) only parses, calls and prints.
"""
