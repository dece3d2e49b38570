export type { CloudLink } from './cloud-link.ts';
export {
  EmbeddedBroker,
  DEFAULT_INTERNAL_BROKER_HOST,
  DEFAULT_INTERNAL_BROKER_PORT,
  type EmbeddedBrokerOptions,
} from './embedded-broker.ts';
export type { MqttQos, PublishOptions } from './hub-client.ts';
export {
  UploadForwarder,
  DEFAULT_MAX_QUEUED_UPLOADS,
  type UploadForwarderOptions,
  type UploadSink,
} from './upload-forwarder.ts';
export {
  EventBus,
  type BrokerConfig,
  type EventBusOptions,
  type TwinPublisher,
  type TwinTopicHandler,
} from './eventbus.ts';
