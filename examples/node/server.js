// A tiny web service: GET / answers with a greeting.
const express = require("express");

const app = express();
app.get("/", (_req, res) => res.json({ message: "hello from dopt's node example" }));
app.listen(process.env.PORT || 3000, () => console.log("listening"));
