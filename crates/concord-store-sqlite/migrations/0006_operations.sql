-- Standing regional operations (drugs, illegal migration, cybercrime, foreign terrorist
-- fighters...), with their stages and results in the JSON body.
CREATE TABLE operations (
    code TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);
