// `sqlx::migrate!` embeds the migrations when the crate compiles; without this, adding a
// migration file would not rebuild the binary that applies them.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
