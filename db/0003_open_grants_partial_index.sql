DROP INDEX `grants_open`;--> statement-breakpoint
CREATE INDEX `grants_open_by_issue` ON `grants` (`repo`,`issue_number`) WHERE ended_at is null;