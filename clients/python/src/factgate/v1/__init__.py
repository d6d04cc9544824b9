"""gRPC stubs of factgate.v1 (guard_pb2, guard_pb2_grpc), generated from proto/ at build time."""
