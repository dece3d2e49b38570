// MetaServer's public surface: the server and its defaults. Everything else in this folder is internal.
export {
  MetaServer,
  DEFAULT_METASERVER_HOST,
  DEFAULT_METASERVER_PORT,
  DEFAULT_BOOKMARK_INTERVAL_MS,
  DEFAULT_MAX_WATCH_BUFFERED_BYTES,
  type MetaServerOptions,
} from './metaserver.ts';
export { DEFAULT_HISTORY_SIZE } from './change-feed.ts';
