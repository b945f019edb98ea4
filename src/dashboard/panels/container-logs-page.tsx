/** One container's recent log lines (/devices/:device/containers/:name/logs), with a tail size choice. */
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import type { Read } from "./read.ts"
import type { ContainerLogLine } from "./types.ts"

export const TAIL_CHOICES: ReadonlyArray<string> = ["50", "200", "1000", "5000"]
export const DEFAULT_TAIL = "200"

export interface ContainerLogsProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly device: string
  readonly container: string
  readonly tail: string
  readonly read: Read<ReadonlyArray<ContainerLogLine>>
}

const Lines = ({ read }: { read: ContainerLogsProps["read"] }) => {
  if (read.kind === "unavailable") {
    return (
      <Notice
        kind="empty"
        title="No container engine on this host (docker/podman not installed)"
        detail={read.message}
      />
    )
  }
  if (read.kind === "error") {
    return <Notice kind="error" title={`Could not read the logs (${read.code})`} detail={read.message} />
  }
  if (read.data.length === 0) return <Notice kind="empty" title="This container has not logged anything" />
  return (
    <div class="table-wrap">
      <table class="panel-table log-table" id="container-log">
        <caption class="sr-only">{read.data.length} log lines</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Stream</th>
            <th scope="col">Line</th>
          </tr>
        </thead>
        <tbody>
          {read.data.map((l, i) => (
            <tr key={String(i)} data-stream={l.stream}>
              <td data-label="Time" class="nowrap">{l.timestamp ?? "–"}</td>
              <td data-label="Stream" class={l.stream === "stderr" ? "pill-warn" : undefined}>{l.stream}</td>
              <td data-label="Line" class="log-message">{l.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export const ContainerLogsPage = (props: ContainerLogsProps) => {
  const deviceUrl = `/devices/${encodeURIComponent(props.device)}`
  return (
    <Layout
      title={`${props.container} logs · ${props.device}`}
      session={props.session}
      styles={props.styles}
      scripts={[]}
    >
      <p>
        <a href={deviceUrl}>← {props.device}</a>
      </p>
      <div class="title-row">
        <h1>
          Logs of <span data-field="container">{props.container}</span>
        </h1>
      </div>
      <form class="filters" method="get" action={`${deviceUrl}/containers/${encodeURIComponent(props.container)}/logs`}>
        <label>
          Last
          <select name="tail" id="tail">
            {(TAIL_CHOICES.includes(props.tail) ? TAIL_CHOICES : [props.tail, ...TAIL_CHOICES]).map((n) => (
              <option key={n} value={n} selected={n === props.tail}>{n} lines</option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <Lines read={props.read} />
    </Layout>
  )
}
