/**
 * smartctl's exit status is a bitmask (smartctl(8), "RETURN VALUES").
 * Bits 0-1 mean the command itself did not work; bits 2-7 report on the disk.
 */
export const SMART_EXIT_FLAGS = [
  "command_line_error", // bit 0: command line did not parse
  "device_open_failed", // bit 1: open failed, no IDENTIFY, or device in low-power mode
  "smart_command_failed", // bit 2: some SMART/ATA command failed or checksum error
  "disk_failing", // bit 3: SMART status "DISK FAILING"
  "prefail_attributes_below_threshold", // bit 4: prefail attributes <= threshold now
  "attributes_below_threshold_in_past", // bit 5: some attributes were <= threshold in the past
  "error_log_has_errors", // bit 6: device error log has records
  "self_test_log_has_errors", // bit 7: self-test log has errors
] as const

export type SmartExitFlag = (typeof SMART_EXIT_FLAGS)[number]

/** Named flags set in an exit status; values outside 0..255 (e.g. 127 from the shell) give none. */
export const decodeSmartExitStatus = (status: number): Array<SmartExitFlag> => {
  if (!Number.isInteger(status) || status < 0 || status > 255) return []
  return SMART_EXIT_FLAGS.filter((_, bit) => (status & (1 << bit)) !== 0)
}

/** Bits 0 and 1: smartctl could not talk to the device at all. */
export const isCommandFailure = (status: number): boolean =>
  Number.isInteger(status) && status >= 0 && status <= 255 && (status & 0b11) !== 0
