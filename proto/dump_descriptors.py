import sys, importlib
from google.protobuf import descriptor_pb2
mods = [
 "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
 "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
 "opentelemetry.proto.collector.logs.v1.logs_service_pb2",
 "google.rpc.status_pb2",
 "google.rpc.error_details_pb2",
]
seen, order = set(), []
def visit(fd):
    if fd.name in seen: return
    seen.add(fd.name)
    for dep in fd.dependencies: visit(dep)
    order.append(fd)
for m in mods: visit(importlib.import_module(m).DESCRIPTOR)
fds = descriptor_pb2.FileDescriptorSet()
for fd in order:
    p = fds.file.add(); fd.CopyToProto(p)
    print(fd.name, file=sys.stderr)
sys.stdout.buffer.write(fds.SerializeToString())
