//! `confab account add|passwd|del|list`: the operator's side of accounts, run on a data
//! directory the server is not using (the directory's lock says so if it is).

use std::fmt::Write as _;
use std::path::Path;

use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Name, NameError};
use confab_store::{AccountRow, DataDir, Database, StoreError};

use super::{password, PASSWORD_MAX};
use crate::history::record;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0:?} cannot be an account name: {1}")]
    BadName(String, NameError),
    #[error("an account named {0} exists already")]
    Exists(String),
    #[error("no account named {0}")]
    NoSuchAccount(String),
    #[error("the password must be 1 to {PASSWORD_MAX} bytes")]
    BadPassword,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account name, checked against the nickname rules.
fn account_name(name: &str) -> Result<Name, AdminError> {
    Name::parse(name, NAME_MAX_CEILING).map_err(|e| AdminError::BadName(name.to_string(), e))
}

fn hashed(password: &str) -> Result<String, AdminError> {
    if password.is_empty() || password.len() > PASSWORD_MAX {
        return Err(AdminError::BadPassword);
    }
    password::hash(password).map_err(|e| AdminError::Hash(e.to_string()))
}

/// Opens the data directory's database (taking its lock).
pub fn open(dir: &Path) -> Result<Database, AdminError> {
    Ok(DataDir::open(dir)?.database()?)
}

/// Creates an account: `account amy created`.
pub fn add(db: &Database, name: &str, password: &str) -> Result<String, AdminError> {
    let name = account_name(name)?;
    let phc = hashed(password)?;
    if !db.create_account(&record::key(&name), name.as_str(), &phc, false)? {
        return Err(AdminError::Exists(name.to_string()));
    }
    Ok(format!("account {name} created"))
}

/// Checks that the name is valid and free before asking for a password.
pub fn check_free(db: &Database, name: &str) -> Result<(), AdminError> {
    let name = account_name(name)?;
    match db.account(&record::key(&name))? {
        Some(_) => Err(AdminError::Exists(name.to_string())),
        None => Ok(()),
    }
}

/// Checks that the account exists before asking for its new password.
pub fn check_exists(db: &Database, name: &str) -> Result<(), AdminError> {
    let name = account_name(name)?;
    match db.account(&record::key(&name))? {
        Some(_) => Ok(()),
        None => Err(AdminError::NoSuchAccount(name.to_string())),
    }
}

/// Changes an account's password: `password of amy changed`.
pub fn passwd(db: &Database, name: &str, password: &str) -> Result<String, AdminError> {
    let name = account_name(name)?;
    // Checked first, so a missing account is said before any hashing.
    if db.account(&record::key(&name))?.is_none() {
        return Err(AdminError::NoSuchAccount(name.to_string()));
    }
    let phc = hashed(password)?;
    if !db.set_password(&record::key(&name), &phc)? {
        return Err(AdminError::NoSuchAccount(name.to_string()));
    }
    Ok(format!("password of {name} changed"))
}

/// Deletes an account and what waits for it: `account amy deleted`.
pub fn delete(db: &Database, name: &str) -> Result<String, AdminError> {
    let name = account_name(name)?;
    if !db.delete_account(&record::key(&name))? {
        return Err(AdminError::NoSuchAccount(name.to_string()));
    }
    Ok(format!("account {name} deleted"))
}

/// Makes an account a server operator (`oper`), or no longer one: whoever logs in to
/// it then runs every room, can `KILL` and ban (docs/accounts.md).
pub fn set_oper(db: &Database, name: &str, oper: bool) -> Result<String, AdminError> {
    let name = account_name(name)?;
    if !db.set_oper(&record::key(&name), oper)? {
        return Err(AdminError::NoSuchAccount(name.to_string()));
    }
    Ok(match oper {
        true => format!("account {name} is a server operator"),
        false => format!("account {name} is no longer a server operator"),
    })
}

/// Every account, one a line: name, created (UTC), `oper` for an operator; or
/// `no accounts`.
pub fn list(db: &Database) -> Result<String, AdminError> {
    let rows = db.list_accounts()?;
    if rows.is_empty() {
        return Ok("no accounts\n".into());
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for row in &rows {
        let oper = if row.oper { "  oper" } else { "" };
        let _ = writeln!(out, "{:width$}  {}{oper}", row.name, created(row));
    }
    Ok(out)
}

/// `2026-12-06 04:20:00Z`.
fn created(row: &AccountRow) -> String {
    let nanos = i128::from(row.created_ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("confab-admin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn add_passwd_list_and_delete_say_what_they_did() {
        let dir = temp_dir("cycle");
        let db = open(&dir).unwrap();
        assert_eq!(add(&db, "Amy", "sesame").unwrap(), "account Amy created");
        assert_eq!(
            add(&db, "amy", "x").unwrap_err().to_string(),
            "an account named amy exists already"
        );
        assert!(matches!(
            add(&db, "9lives", "x"),
            Err(AdminError::BadName(..))
        ));
        assert!(matches!(add(&db, "bob", ""), Err(AdminError::BadPassword)));
        let longest = "p".repeat(PASSWORD_MAX);
        assert!(matches!(
            add(&db, "bob", &format!("{longest}p")),
            Err(AdminError::BadPassword)
        ));
        assert_eq!(add(&db, "bob", &longest).unwrap(), "account bob created");
        let row = db.account("amy").unwrap().unwrap();
        assert!(password::verify(Some(&row.hash), "sesame"));
        assert_eq!(
            passwd(&db, "AMY", "hunter2").unwrap(),
            "password of AMY changed"
        );
        let row = db.account("amy").unwrap().unwrap();
        assert!(password::verify(Some(&row.hash), "hunter2"));
        let listed = list(&db).unwrap();
        assert!(
            listed.starts_with("Amy  2") && listed.ends_with("Z\n"),
            "{listed}"
        );
        assert_eq!(delete(&db, "amy").unwrap(), "account amy deleted");
        assert_eq!(delete(&db, "bob").unwrap(), "account bob deleted");
        assert_eq!(
            delete(&db, "amy").unwrap_err().to_string(),
            "no account named amy"
        );
        assert_eq!(list(&db).unwrap(), "no accounts\n");
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
