"""Penumbra's services. Importing this package comes before any gRPC import in
every Penumbra process (services, the engine worker, the launcher, tests)."""
import os

# Our processes fork children (sandboxes, compilers, git, services) while gRPC
# threads are busy. With gRPC's fork support on, its fork handlers ran in such a
# child before exec and could kill it (a compile "terminated by signal 6" within
# 34 ms, once SIGSEGV) and upset the parent's shared epoll set ("epoll_wait
# error: Bad file descriptor"). Every child here execs at once, so it is off.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
