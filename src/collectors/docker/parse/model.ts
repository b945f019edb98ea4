import { Schema } from "effect"

/** The normalized shapes stored in `data` jsonb; validated once at the end of each parse. */

export const PortSchema = Schema.Struct({
  host_ip: Schema.NullOr(Schema.String),
  host_port: Schema.NullOr(Schema.Number),
  container_port: Schema.Number,
  protocol: Schema.String,
})

export const MountSchema = Schema.Struct({
  type: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  source: Schema.NullOr(Schema.String),
  destination: Schema.String,
  mode: Schema.NullOr(Schema.String),
  rw: Schema.NullOr(Schema.Boolean),
})
export type Mount = typeof MountSchema.Type

export const NetworkAttachmentSchema = Schema.Struct({
  name: Schema.String,
  network_id: Schema.NullOr(Schema.String),
  ip_address: Schema.NullOr(Schema.String),
  gateway: Schema.NullOr(Schema.String),
  mac_address: Schema.NullOr(Schema.String),
})
export type NetworkAttachment = typeof NetworkAttachmentSchema.Type

export const StatsSchema = Schema.Struct({
  id: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  cpu_percent: Schema.NullOr(Schema.Number),
  mem_usage_bytes: Schema.NullOr(Schema.Number),
  mem_limit_bytes: Schema.NullOr(Schema.Number),
  mem_percent: Schema.NullOr(Schema.Number),
  net_rx_bytes: Schema.NullOr(Schema.Number),
  net_tx_bytes: Schema.NullOr(Schema.Number),
  block_read_bytes: Schema.NullOr(Schema.Number),
  block_write_bytes: Schema.NullOr(Schema.Number),
  pids: Schema.NullOr(Schema.Number),
})
export type Stats = typeof StatsSchema.Type

export const ComposeSchema = Schema.Struct({
  project: Schema.String,
  service: Schema.NullOr(Schema.String),
  working_dir: Schema.NullOr(Schema.String),
  config_files: Schema.Array(Schema.String),
})
export type Compose = typeof ComposeSchema.Type

export const ContainerSchema = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  image: Schema.NullOr(Schema.String),
  image_id: Schema.NullOr(Schema.String),
  command: Schema.NullOr(Schema.String),
  created: Schema.NullOr(Schema.String),
  state: Schema.String,
  status: Schema.NullOr(Schema.String),
  health: Schema.NullOr(Schema.String),
  restart_count: Schema.NullOr(Schema.Number),
  exit_code: Schema.NullOr(Schema.Number),
  oom_killed: Schema.NullOr(Schema.Boolean),
  started_at: Schema.NullOr(Schema.String),
  finished_at: Schema.NullOr(Schema.String),
  restart_policy: Schema.NullOr(Schema.String),
  ports: Schema.Array(PortSchema),
  labels: Schema.Record(Schema.String, Schema.String),
  compose: Schema.NullOr(ComposeSchema),
  mounts: Schema.Array(MountSchema),
  networks: Schema.Array(NetworkAttachmentSchema),
  stats: Schema.NullOr(StatsSchema),
})
export type Container = typeof ContainerSchema.Type

export const ContainersDataSchema = Schema.Struct({
  engine: Schema.NullOr(Schema.Literals(["docker", "podman"])),
  available: Schema.Boolean,
  stats_available: Schema.Boolean,
  inspect_available: Schema.Boolean,
  containers: Schema.Array(ContainerSchema),
})
export type ContainersData = typeof ContainersDataSchema.Type

export const NetworkContainerSchema = Schema.Struct({
  id: Schema.String,
  name: Schema.NullOr(Schema.String),
  ipv4: Schema.NullOr(Schema.String),
  ipv6: Schema.NullOr(Schema.String),
  mac: Schema.NullOr(Schema.String),
})

export const SubnetSchema = Schema.Struct({
  subnet: Schema.String,
  gateway: Schema.NullOr(Schema.String),
})

export const DockerNetworkSchema = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  driver: Schema.NullOr(Schema.String),
  scope: Schema.NullOr(Schema.String),
  created: Schema.NullOr(Schema.String),
  internal: Schema.NullOr(Schema.Boolean),
  attachable: Schema.NullOr(Schema.Boolean),
  ipv6: Schema.NullOr(Schema.Boolean),
  subnets: Schema.Array(SubnetSchema),
  containers: Schema.Array(NetworkContainerSchema),
  labels: Schema.Record(Schema.String, Schema.String),
  options: Schema.Record(Schema.String, Schema.String),
})
export type DockerNetwork = typeof DockerNetworkSchema.Type

export const DockerNetworksDataSchema = Schema.Struct({
  engine: Schema.NullOr(Schema.Literals(["docker", "podman"])),
  available: Schema.Boolean,
  inspect_available: Schema.Boolean,
  networks: Schema.Array(DockerNetworkSchema),
})
export type DockerNetworksData = typeof DockerNetworksDataSchema.Type
