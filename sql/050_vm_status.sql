-- One row per VM (libvirt domain, Proxmox VM or container) per collection.
CREATE TABLE IF NOT EXISTS vm_status (
  id           bigserial PRIMARY KEY,
  time         timestamptz NOT NULL,
  device_id    integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  vm_id        text NOT NULL,
  name         text NOT NULL,
  hypervisor   text NOT NULL,
  state        text NOT NULL,
  vcpus        integer NULL,
  memory_bytes bigint NULL,
  data         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS vm_status_device_time ON vm_status (device_id, time DESC);
CREATE INDEX IF NOT EXISTS vm_status_device_vm_time ON vm_status (device_id, vm_id, time DESC);
