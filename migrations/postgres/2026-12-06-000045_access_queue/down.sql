DROP TABLE access_queue;
