//! The `factgate` binary.
use clap::Parser;

fn main() {
    let cli = factgate::cli::Cli::parse();
    match factgate::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
