// A tiny web service: GET / answers with a greeting.
package main

import (
	"fmt"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"message": "hello from dopt's go example"}`)
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
