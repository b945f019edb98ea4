/** The fleet's change-event feed and the audit log, filterable and live. */
import type { PageKit } from "../kit/page-kit.ts"

export const registerFeedPages = (_kit: PageKit): void => {}
