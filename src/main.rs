//! `tracing-backend`: the service and its administration commands.

use clap::{Parser, Subcommand};
use tracing_backend::{cli, config::Config};

#[derive(Parser)]
#[command(
    name = "tracing-backend",
    version,
    about = "Outbreak tracing backend: trace, cordon, isolate, sample"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default): migrates the database and loads the
    /// administrative units on first start.
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Load the official administrative units (once; the tree must be empty).
    ImportUnits {
        /// `3level` (63 provinces / 696 districts / 10,051 communes, the 2021 structure)
        /// or `2level` (34 provinces / 3,321 communes, since July 2025).
        #[arg(long, default_value = "3level")]
        structure: String,
    },
    /// Create an account with one role grant, e.g. the first administrator.
    CreateUser {
        #[arg(long)]
        username: String,
        /// Read from the environment variable NEW_USER_PASSWORD when not given.
        #[arg(long, env = "NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// The jurisdiction node of the grant (`VN` for the whole country).
        #[arg(long, default_value = "VN")]
        unit: String,
    },
    /// Create a demo district (Vân Đồn, Quảng Ninh) with one user per role and print
    /// their credentials.
    SeedDemo {
        /// The password of every demo user; a random one is made and printed when absent.
        #[arg(long)]
        password: Option<String>,
    },
    /// Purge the personal data due under the retention policy in force, as a national
    /// administrator; `--dry-run` lists who would go (ids, rules, due dates) and changes
    /// nothing.
    Purge {
        /// The username of the national administrator doing it (recorded in the log).
        #[arg(long)]
        by: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the OpenAPI document (YAML; `--json` for JSON).
    Openapi {
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let args = Cli::parse();
    let result = match args.command.unwrap_or(Command::Serve) {
        Command::Openapi { json } => cli::print_openapi(json),
        command => Config::from_env().and_then(|config| match command {
            Command::Serve => cli::serve(config),
            Command::Migrate => cli::migrate(&config),
            Command::ImportUnits { structure } => cli::import_units(&config, &structure),
            Command::CreateUser {
                username,
                password,
                display_name,
                role,
                unit,
            } => cli::create_user(&config, &username, &password, &display_name, &role, &unit),
            Command::SeedDemo { password } => cli::seed_demo(&config, password),
            Command::Purge { by, dry_run } => cli::purge(&config, &by, dry_run),
            Command::Openapi { .. } => unreachable!("handled above"),
        }),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
