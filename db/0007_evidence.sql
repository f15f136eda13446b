CREATE TABLE `evidence_phases` (
	`repo` text NOT NULL,
	`run_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`phase` text NOT NULL,
	`job` text NOT NULL,
	`status` text NOT NULL,
	`conclusion` text,
	`started_at` text,
	`completed_at` text,
	PRIMARY KEY(`repo`, `run_id`, `attempt`, `phase`)
);
--> statement-breakpoint
CREATE TABLE `lane_inventory` (
	`repo` text NOT NULL,
	`lane` text NOT NULL,
	`state` text NOT NULL,
	`reason` text NOT NULL,
	`current_deployment` text,
	`last_bootstrap` text,
	`evidence_id` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`repo`, `lane`)
);
--> statement-breakpoint
CREATE TABLE `run_evidence` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`run_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`kind` text NOT NULL,
	`operation_id` integer,
	`lane` text,
	`workflow_path` text NOT NULL,
	`head_sha` text NOT NULL,
	`html_url` text NOT NULL,
	`installation_id` integer,
	`conclusion` text,
	`completed_at` text NOT NULL,
	`status` text NOT NULL,
	`artifact` text,
	`error_code` text,
	`error_message` text,
	`row` text,
	`lane_state` text,
	`reason` text,
	`recorded_at` text,
	`check_run_id` integer,
	`check_written_at` text,
	`write_error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `run_evidence_by_attempt` ON `run_evidence` (`repo`,`run_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `run_evidence_awaiting` ON `run_evidence` (`status`);--> statement-breakpoint
CREATE INDEX `run_evidence_by_lane` ON `run_evidence` (`repo`,`lane`,`id`);