/** Config history per device: tracked files, version timelines, diffs of any two versions, restore (dry run, then confirm), the service map. */
import type { PageKit } from "../kit/page-kit.ts"

export const registerConfigPages = (_kit: PageKit): void => {}
