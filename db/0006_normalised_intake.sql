DROP INDEX `one_operation_in_flight_per_lane`;--> statement-breakpoint
CREATE UNIQUE INDEX `one_operation_in_flight_per_lane` ON `operations` (`repo`,`lane`) WHERE state in ('requested', 'in_flight', 'stale');--> statement-breakpoint
ALTER TABLE `decisions` ADD `reason` text;--> statement-breakpoint
ALTER TABLE `decisions` ADD `decision` text;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `role` text;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `lane` text;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `source` text;--> statement-breakpoint
CREATE INDEX `dispatches_by_lane` ON `dispatches` (`repo`,`role`,`lane`);--> statement-breakpoint
ALTER TABLE `workflow_runs` ADD `role` text;