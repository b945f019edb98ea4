import { Store } from "../store/Store.ts"

/** The latest (not deleted) version of every tracked file, optionally of one type: parsed form, no content. */
export const currentFiles = (configType: string | undefined) =>
  Store.use((s) =>
    s.query(
      `SELECT * FROM (SELECT DISTINCT ON (device_id, path) id AS snapshot_id, device_name, path, config_type,
              change_type, time AS last_change, parsed, parse_error
         FROM configuration_snapshots ${configType === undefined ? "" : "WHERE config_type = $1"}
        ORDER BY device_id, path, id DESC) t
        WHERE change_type <> 'DELETE' ORDER BY device_name, path`,
      configType === undefined ? [] : [configType],
    )
  )
