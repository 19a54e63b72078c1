/** The TCP transport: the server (RPC and HTTP on one port) and the client channel. */
export { RpcServer } from './rpc-server.ts';
export type { RpcServerOptions } from './rpc-server.ts';
export { TcpRpcChannel } from './rpc-channel.ts';
export type { TcpRpcChannelOptions } from './rpc-channel.ts';
export type { ServerConnectionLimits, ServerConnectionStats } from './server-connection.ts';
export type { ClientConnectionLimits } from './client-connection.ts';
