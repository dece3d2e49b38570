/**
 * CloudLink: what EventBus uploads and DeviceTwin reports need of the link to the cloud. In
 * edgecore it is EdgeHub (`send` queues a message for cloudhub, `connected` is the WebSocket
 * state); tests pass an in-memory one. The components keep their own durable queues in SQLite
 * and only call `send` while `connected()` is true, so an EdgeHub in-memory queue never holds
 * more than what is in flight (ARCHITECTURE.md §5: upstream traffic made offline is kept in SQLite
 * and delivered after reconnect).
 *
 * Connection changes are pushed by the owner (`cloudConnectionChanged(up)` on the components or
 * on DeviceServices), as EdgeHub tells edgecore through one `onConnectionChange` callback.
 */
import type { Message } from '@edgeproof/core';

export interface CloudLink {
  /**
   * Hands `message` to the link. Throws when the link cannot take it (EdgeHub: its queue is
   * full); the caller keeps the message and tries again later.
   */
  send(message: Message): void;
  /** True while the link to cloudhub is up. */
  connected(): boolean;
}
