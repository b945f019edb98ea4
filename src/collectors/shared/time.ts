/** Milliseconds since the epoch → ISO text, or null when a Date cannot hold it (toISOString would throw). */
export const isoFromMillis = (ms: number): string | null => {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null
  return new Date(ms).toISOString()
}
