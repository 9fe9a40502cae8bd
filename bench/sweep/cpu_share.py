#!/usr/bin/env python3
"""How much CPU this machine gives 1 and 2 busy processes now, for 2 s each:
when 2 get no more than 1, other work holds the cores and no thread count can
help, so a measured speed-up says nothing about gradflow then.

Usage: /usr/bin/python3 bench/sweep/cpu_share.py
"""
import os
import time

for n in (1, 2):
    start = os.times()
    kids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            end = time.time() + 2
            while time.time() < end:
                pass
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    now = os.times()
    used = now.children_user + now.children_system - start.children_user - start.children_system
    print(f"{n} busy process(es) for 2 s got {used:.2f} CPU seconds")
