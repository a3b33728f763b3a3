fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    match berth_spec::parse("berth.toml", &text) {
        Ok(m) => println!("{}", serde_json::to_string_pretty(&m).unwrap()),
        Err(e) => {
            println!("{e}");
            println!("{:?}", miette::Report::new(e));
        }
    }
}
