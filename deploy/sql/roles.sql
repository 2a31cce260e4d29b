-- Least privilege for model-chatbot-nestjs. Run once per database, as a superuser (or the
-- managed service's admin role), before the first migration:
--
--   psql -v database=conversations -v owner_password='...' -v app_password='...' \
--        -f deploy/sql/roles.sql
--
-- chatbot_user  the seed's role: owns the schema objects; the release job runs migrations as it,
--               and the nightly backup its pg_dump and restore drill.
-- chatbot_app   the runtime role the service runs as: reads and writes rows, nothing else.
-- Safe to run again: roles are created only when missing (passwords are then left alone).

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE chatbot_user LOGIN PASSWORD %L', :'owner_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatbot_user') \gexec

SELECT format('CREATE ROLE chatbot_app LOGIN PASSWORD %L', :'app_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatbot_app') \gexec

-- The backup's restore drill restores each archive into a scratch database that it creates and
-- drops (deploy/k8s/backup-cronjob.yaml).
ALTER ROLE chatbot_user CREATEDB;

-- The seed's grants: connect, and create in the database (trusted extensions: pg_trgm, btree_gin).
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO chatbot_user', :'database') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO chatbot_app', :'database') \gexec

\connect :database

-- PostgreSQL 15 no longer lets every role create in public: the owner role gets it explicitly.
GRANT USAGE, CREATE ON SCHEMA public TO chatbot_user;
GRANT USAGE ON SCHEMA public TO chatbot_app;

-- Tables the migrations create as chatbot_user are readable and writable by the runtime role;
-- it can neither create, alter nor drop anything.
ALTER DEFAULT PRIVILEGES FOR ROLE chatbot_user IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chatbot_app;
ALTER DEFAULT PRIVILEGES FOR ROLE chatbot_user IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO chatbot_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO chatbot_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO chatbot_app;
