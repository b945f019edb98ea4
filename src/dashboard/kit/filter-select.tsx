/** A filter's select: "any" first, then the fixed values; the id is what the client modules look up. */
export const FilterSelect = (
  props: { name: string; label: string; value: string; options: ReadonlyArray<readonly [string, string]> },
) => (
  <label>
    {props.label}
    <select name={props.name} id={`filter-${props.name}`}>
      <option value="" selected={props.value === ""}>any</option>
      {props.options.map(([value, text]) => (
        <option key={value} value={value} selected={props.value === value}>{text}</option>
      ))}
    </select>
  </label>
)
