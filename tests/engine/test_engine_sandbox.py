"""Hostile programs are stopped with a status naming the limit; the engine carries on."""
import pytest

from engine import build, get_core, run
from engine.sandbox import Limits

from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
ROOT = Path(__file__).resolve().parents[2]

CASES = [
    ("hostile_loop.c", Limits(wall_s=5, cpu_s=1), "cpu_time", "CPU time limit of 1 s exceeded"),
    ("hostile_sleep.c", Limits(wall_s=1.5, cpu_s=5), "wall_time", "wall time limit of 1.5 s exceeded"),
    ("hostile_fork.c", Limits(wall_s=5, cpu_s=5, processes=16), "processes", "process limit of 16 exceeded"),
    ("hostile_mem.c", Limits(wall_s=5, cpu_s=5, memory_bytes=128 << 20), "memory", "memory limit of 128 MB exceeded"),
    ("hostile_flood.c", Limits(wall_s=5, cpu_s=5, output_bytes=1 << 20), "output", "output limit of 1 MB exceeded"),
]


@pytest.mark.parametrize("prog,limits,status,message", CASES, ids=[c[0] for c in CASES])
def test_hostile_contained(tmp_path, prog, limits, status, message):
    b = build(PROGRAMS / prog, core=get_core("C0-Bypass"), language="C", out_dir=tmp_path / "b")
    assert b.ok, b.compiler_output
    r = run(b, work_dir=tmp_path / "w", limits=limits)
    assert r.status == status, (r.status, r.message)
    assert r.message.startswith(message)
    assert r.stats["wall_ms"] < limits.wall_s * 1000 + 3000


def test_hostile_on_reference(tmp_path):
    b = build(PROGRAMS / "hostile_mem.c", core=get_core("C0-Reference"), language="C", out_dir=tmp_path / "b")
    r = run(b, work_dir=tmp_path / "w", limits=Limits(wall_s=30, cpu_s=30, memory_bytes=128 << 20))
    assert r.status == "memory" and r.message.startswith("memory limit of 128 MB exceeded")


def test_no_network_and_readonly_system(tmp_path):
    src = tmp_path / "net.c"
    src.write_text('#include <stdio.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n'
                   'int main(void){int s=socket(AF_INET,SOCK_STREAM,0);struct sockaddr_in a={.sin_family=AF_INET,'
                   '.sin_port=htons(80)};inet_pton(AF_INET,"1.1.1.1",&a.sin_addr);'
                   'printf("connect %d\\n",connect(s,(void*)&a,sizeof a));'
                   'printf("usr %d\\n",fopen("/usr/penumbra-x","w")!=NULL);'
                   'FILE*f=fopen("out.txt","w");printf("work %d\\n",f!=NULL);return 0;}\n')
    b = build(src, core=get_core("C0-Bypass"), language="C", out_dir=tmp_path / "b")
    assert b.ok, b.compiler_output
    r = run(b, work_dir=tmp_path / "w")
    assert "connect -1" in r.stdout and "usr 0" in r.stdout and "work 1" in r.stdout
    assert (tmp_path / "w" / "out.txt").exists()
