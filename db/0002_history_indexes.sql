CREATE INDEX `approval_issues_by_presence` ON `approval_issues` (`repo`,`presence`);--> statement-breakpoint
CREATE INDEX `grants_open` ON `grants` (`repo`,`ended_at`);