-- One database per service: services never read each other's data.
CREATE DATABASE accounts;
CREATE DATABASE referrals;
CREATE DATABASE notifications;
