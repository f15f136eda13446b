CREATE TABLE `decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`run_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`lane` text,
	`request` text NOT NULL,
	`checks` text NOT NULL,
	`allowed` integer NOT NULL,
	`issue_number` integer,
	`block_sha` text,
	`decided_at` text NOT NULL,
	`check_run_id` integer,
	`check_written_at` text,
	`write_error` text
);
--> statement-breakpoint
CREATE INDEX `decisions_by_run` ON `decisions` (`repo`,`run_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `dispatches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`delivery_id` text NOT NULL,
	`workflow_path` text NOT NULL,
	`branch` text NOT NULL,
	`actor` text NOT NULL,
	`inputs` text NOT NULL,
	`received_at` text NOT NULL,
	`run_id` integer,
	`expired_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dispatches_by_delivery` ON `dispatches` (`delivery_id`);--> statement-breakpoint
CREATE INDEX `dispatches_open` ON `dispatches` (`repo`,`run_id`);--> statement-breakpoint
CREATE TABLE `operations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`lane` text NOT NULL,
	`run_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`decision_id` integer NOT NULL,
	`source` text NOT NULL,
	`issue_number` integer,
	`block_sha` text,
	`state` text NOT NULL,
	`conclusion` text,
	`lease_expires_at` text NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text,
	`ended_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `one_operation_in_flight_per_lane` ON `operations` (`repo`,`lane`) WHERE state in ('in_flight', 'stale');--> statement-breakpoint
CREATE INDEX `operations_by_run` ON `operations` (`repo`,`run_id`);--> statement-breakpoint
CREATE TABLE `protection_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`run_id` integer NOT NULL,
	`environment` text NOT NULL,
	`received_at` text NOT NULL,
	`answer` text,
	`answered_at` text
);
--> statement-breakpoint
CREATE INDEX `protection_by_run` ON `protection_requests` (`repo`,`run_id`);--> statement-breakpoint
CREATE TABLE `workflow_runs` (
	`repo` text NOT NULL,
	`run_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`workflow_path` text NOT NULL,
	`head_sha` text NOT NULL,
	`head_branch` text,
	`event` text NOT NULL,
	`actor` text NOT NULL,
	`display_title` text NOT NULL,
	`html_url` text NOT NULL,
	`status` text NOT NULL,
	`conclusion` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`dispatch_id` integer,
	`join_problem` text,
	PRIMARY KEY(`repo`, `run_id`)
);
