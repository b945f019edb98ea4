-- One row per network interface per collection. ipv4/ipv6 are jsonb arrays of "addr/prefixlen".
CREATE TABLE IF NOT EXISTS network_interfaces (
  id               bigserial PRIMARY KEY,
  time             timestamptz NOT NULL,
  device_id        integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  interface        text NOT NULL,
  state            text NULL,
  mtu              integer NULL,
  mac              text NULL,
  ipv4             jsonb NOT NULL DEFAULT '[]'::jsonb,
  ipv6             jsonb NOT NULL DEFAULT '[]'::jsonb,
  rx_bytes         bigint NULL,
  tx_bytes         bigint NULL,
  rx_bytes_per_sec double precision NULL,
  tx_bytes_per_sec double precision NULL,
  rx_errors        bigint NULL,
  tx_errors        bigint NULL,
  data             jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS network_interfaces_device_time ON network_interfaces (device_id, time DESC);
CREATE INDEX IF NOT EXISTS network_interfaces_device_interface_time ON network_interfaces (device_id, interface, time DESC);
