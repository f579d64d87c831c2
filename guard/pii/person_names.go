package pii

// givenNames is the gazetteer of common given names for PERSON, drawn
// from public-domain frequency lists (US census and birth-name counts,
// with common European, Latin American, South and East Asian and African
// names). Names that are also everyday words, places, brands or software
// ("Mark", "Grace", "Austin", "Ruby", "Hugo") are listed in
// ambiguousNames as well: they count only after a title or with a
// context word.
const givenNames = `
Aaron Abbey Abby Abdul Abe Abel Abigail Abraham Ace Ada Adaeze Adalyn Adalynn Adam Adan Addison
Adela Adelaide Adele Adelina Adeline Aditi Aditya Adolph Adrian Adriana Adrianna Adrienne Agatha
Agnes Ahmad Ahmed Aida Aidan Aiden Aiko Aileen Aisha Al Alaina Alan Alana Albert Alberta Alberto
Alden Alec Alejandra Alejandro Alessandra Alessandro Alex Alexa Alexander Alexandra Alexandria
Alexei Alexis Alfonso Alfred Alfredo Ali Alice Alicia Alina Alisa Alison Alissa Aliyah Allan Allen
Allie Allison Alma Alonzo Alton Alvaro Alvin Alyce Alyson Alyssa Amalia Amanda Amara Amaya Amber
Amelia Amelie Amie Amir Amit Amos Amy Ana Anabel Anastasia Anders Andre Andrea Andreas Andrei Andres
Andrew Andy Angel Angela Angelia Angelica Angelina Angelique Angelo Angie Anibal Anika Anil Anita
Anjali Ann Anna Annabel Annabelle Annamarie Anne Annette Annie Annika Ansel Anthony Antoine
Antoinette Anton Antonia Antonio Antwan April Archer Archibald Archie Arden Ari Ariana Arianna Aric
Ariel Arielle Arjun Arlene Arlo Armand Armando Arnold Arnulfo Arron Art Arthur Arturo Arun Arya Asa
Asher Ashley Ashok Ashton Astrid Athena Aubree Aubrey Audra Audrey August Augusta Augustus Aurelio
Aurora Austin Autumn Ava Avery Axel Ayden Ayla Barbara Barbra Barney Barry Bart Basil Beatrice
Beatrix Beatriz Beau Beckett Becky Belinda Bella Belle Ben Benedict Benito Benjamin Bennett Bentley
Bernadette Bernadine Bernard Bernardo Bernice Bert Berta Bertha Bertram Beryl Beth Bethany Betsy
Betty Beulah Beverly Bianca Bilal Bill Billie Billy Birgit Bjorn Blaine Blake Blakely Blanca Blanche
Bo Bob Bobby Bonnie Booker Boris Boyd Brad Bradford Bradley Brady Brandi Brandon Brandy Brant
Brayden Brenda Brendan Brendon Brenna Brent Bret Brett Brian Briana Brianna Bridget Bridgette
Brielle Brigitte Britney Britt Brittany Brock Brody Bronson Brooke Brooklyn Brooks Bruce Bruno Bryan
Bryce Brynlee Bud Burton Buster Byron Cade Caitlin Cale Caleb Callie Callum Calvin Camila Camilla
Camille Candace Candice Cara Carey Caridad Carissa Carl Carla Carlo Carlos Carlton Carly Carmela
Carmelo Carmen Carol Carole Carolina Caroline Carolyn Carrie Carroll Carson Carter Cary Caryn Casey
Cassandra Cassidy Cassie Catalina Catherine Cathleen Cathy Cecil Cecile Cecilia Cedric Celeste Celia
Celina Celine Cesar Chad Chandler Chantal Charlene Charles Charlie Charlotte Charmaine Chase
Chastity Chelsea Cherie Cheryl Chester Chet Cheyenne Chidi Chioma Chloe Chris Chrissy Christa
Christian Christie Christina Christine Christophe Christopher Christy Chuck Ciara Cicero Cindy
Claire Clara Clare Clarence Clarice Claude Claudette Claudia Clay Clayton Clement Clementine
Cleveland Cliff Clifford Clint Clinton Clyde Cody Colby Cole Colin Colleen Colton Columbus
Concepcion Connie Connor Conor Conrad Constance Consuelo Cooper Cora Cordelia Corey Corinne Cornelia
Cornelius Corrine Cortez Cory Courtney Coy Craig Cristian Cristina Cruz Crystal Curt Curtis Cynthia
Cyril Cyrus Daisuke Daisy Dakota Dale Dallas Dalton Damian Damien Damon Dan Dana Dane Dani Daniel
Daniela Danielle Danny Dante Daphne Darcy Darian Dario Darius Darla Darlene Darnell Darrel Darrell
Darren Darrin Darryl Darwin Daryl Dave David Davide Davina Dawn Dean Deana Deanna Debbie Deborah
Debra Declan Deepak Deepika Deidre Deirdre Delbert Delia Delilah Della Delores Denis Denise Dennis
Denny Denver Derek Derrick Desiree Desmond Devin Devon Dewayne Dewey Dexter Diana Diane Dianna Diego
Dieter Dina Dirk Divya Dixie Dmitri Dollie Dolores Dominga Dominic Dominick Dominique Don Dona
Donald Donna Donnie Donovan Dora Doreen Dorian Doris Dorothea Dorothy Dottie Doug Douglas Doyle Drew
Duane Duc Dulce Dustin Dwayne Dwight Dylan Earl Easton Ebony Eddie Edgar Edison Edith Edmond Edmund
Edna Eduardo Edward Edwin Edwina Effie Efrain Eileen Elaine Elbert Elden Eldon Eleanor Elena Eli
Eliana Elias Elijah Elinor Elisa Elisabeth Elisha Eliza Elizabeth Ella Ellen Elliana Ellie Elliot
Elliott Elma Elmer Elnora Eloisa Eloise Eloy Elsa Elsie Elton Elva Elvin Elvira Elvis Elwood Elyse
Emanuel Emeka Emerson Emery Emil Emilia Emilie Emilio Emily Emma Emmanuel Emmett Emory Enid Enrique
Enzo Ephraim Eric Erica Erich Erik Erika Erin Erma Ernest Ernesto Ernie Errol Erwin Esmeralda
Esperanza Esteban Estela Estella Estelle Ester Esther Ethan Ethel Etta Eugene Eugenia Eula Eunice
Eusebio Eva Evan Evangelina Evangeline Eve Evelyn Everett Everette Everleigh Everly Ezekiel Ezequiel
Ezra Fabian Faith Fannie Farah Fatima Fay Federica Federico Felicia Felicity Felipe Felix Ferdinand
Fern Fernando Fidel Finley Finn Fiona Fletcher Flora Florence Florian Florine Floyd Forrest Foster
Frances Francesca Francesco Francine Francis Francisco Francois Frank Frankie Franklin Fred Freda
Freddie Frederick Fredrick Freeman Freya Frieda Gabe Gabriel Gabriela Gabriella Gabrielle Gail Gale
Galen Garland Garrett Garry Garth Gary Gaston Gavin Gemma Genaro Gene Geneva Genevieve Geoffrey
George Georgette Georgia Georgina Gerald Geraldine Gerard Gerardo Germaine Gerry Gertrude Gianna Gil
Gilbert Gilda Gina Gino Giovanna Giovanni Giselle Giulia Giuseppe Gladys Glen Glenda Glenn Glenna
Gloria Goldie Gordon Grace Grady Graham Grant Grayson Greg Gregory Greta Gretchen Griffin Grover
Guadalupe Guillermina Gunter Gus Gustavo Guy Gwen Gwendolyn Hadley Hailey Hal Haley Hallie Hamza
Hana Hank Hannah Hans Harlan Harley Harold Harper Harriet Harriett Harris Harrison Harry Haruka
Haruto Harvey Hassan Hattie Hayden Hayes Hazel Heath Heather Hector Heidi Helen Helena Helga Helmut
Henrietta Henrik Henry Herbert Herman Herschel Hester Hilary Hilda Hillary Hiram Hiroshi Hollie
Hollis Holly Homer Hope Horace Hosea Howard Hubert Hudson Hugh Hugo Hui Humberto Hunter Hussein Hyun
Ian Ibrahim Ida Ignacio Igor Ila Ilene Imani Imelda Imogene Ina Ines Inez Ingrid Ira Irene Iris Irma
Irving Irwin Isaac Isabel Isabella Isabelle Isadora Isaiah Isaias Isidro Isla Ismael Israel Iva Ivan
Ivy Jace Jack Jackie Jacklyn Jackson Jaclyn Jacob Jacqueline Jacques Jade Jaden Jaime Jake Jamal
Jamar James Jamie Jamison Jan Jana Jane Janelle Janet Janette Janice Janie Janine Janis Jaqueline
Jared Jarrett Jarvis Jasmine Jason Jasper Javier Jax Jaxon Jaxson Jay Jayden Jean Jeanette Jeanie
Jeanne Jeannette Jeannie Jed Jeff Jefferson Jeffery Jeffrey Jenifer Jenna Jennifer Jenny Jerald
Jeremiah Jeremy Jeri Jermaine Jerome Jerrod Jerry Jess Jesse Jessica Jessie Jesus Jian Jill Jim
Jimmy Jisoo Jiwoo Jo Joan Joann Joanna Joanne Joaquin Jocelyn Jodi Jodie Jody Joe Joel Joey Johan
Johanna John Johnathan Johnnie Johnny Jon Jonas Jonathan Jordan Jordon Jordyn Jorge Jose Josef
Josefina Joseph Josephine Josh Joshua Josie Josue Joy Joyce Joycelyn Juan Juana Juanita Jude Judith
Judson Judy Jules Julia Julian Juliana Julie Julien Juliet Juliette Julio Jun June Juniper Jurgen
Justin Justina Justine Kai Kaiden Kaitlin Kaitlyn Kamal Kara Karen Kari Karim Karin Karina Karl
Karla Karyn Kasey Kate Katelyn Katharine Katherine Kathleen Kathryn Kathy Katie Katrin Katrina Kavya
Kay Kayden Kayla Kaylee Keenan Keiko Keisha Keith Kelli Kellie Kelly Kelsey Kelvin Ken Kendall
Kendra Kendrick Kenji Kennedy Kenneth Kenny Kent Kenta Kermit Kerri Kerry Kevin Khalid Khloe Kim
Kimberley Kimberly Kingston Kinsley Kip Kiran Kirk Kirsten Kitty Klaus Knox Kofi Kraig Kris Krista
Kristen Kristin Kristina Kristy Kurt Kwame Kyle Kylie Lacey Lakisha Lakshmi Lamar Lamont Lan Lana
Lance Landon Lane Lanny Lara Lars Latasha Latisha Latoya Laura Laurel Lauren Laurence Laurent Laurie
Lavern Laverne Lavonne Lawrence Lawson Layla Lazaro Lea Leah Leann Leanne Lee Leif Leigh Leila
Leilani Lela Leland Lelia Lena Lenard Lenny Lenora Leo Leola Leon Leona Leonard Leonardo Leonel
Leonie Leroy Les Leslie Lester Leta Levi Lewis Liam Lidia Lila Lilia Lilian Liliana Lillian Lillie
Lilly Lily Lina Lincoln Linda Lindsay Lindsey Lindy Linh Linwood Lionel Lisa Liza Lizzie Lloyd Logan
Lois Lola Lolita London Londyn Lonnie Lora Lorena Lorene Lorenzo Loretta Lori Lorna Lorraine Lottie
Lou Louis Louise Lourdes Lowell Loyd Luann Lucas Lucia Lucian Lucille Lucinda Lucius Lucretia Lucy
Luis Luka Lukas Luke Lula Luna Luther Luz Lydia Lyla Lyle Lyman Lynda Lynette Lynn Lynne Mabel Mack
Mackenzie Madeleine Madeline Madelyn Madge Madison Mae Maeve Magdalena Maggie Mahmoud Mai Makayla
Malcolm Malik Mallory Mamie Mandy Manoj Manon Manuel Mara Marc Marcel Marcella Marcia Marco Marcos
Marcus Marcy Margaret Margarita Margery Margie Margo Margot Marguerite Mari Maria Mariah Mariana
Marianna Marianne Mariano Maribel Maricela Marie Marilyn Marina Mario Marion Marisa Marisol Maritza
Marjorie Mark Marla Marlene Marlin Marlon Marsha Marshall Marta Martha Martin Martina Marty Marvin
Mary Maryam Maryann Maryellen Marylou Mason Mateo Mathieu Matilda Matt Matteo Matthew Matthias
Mattie Maude Maura Maureen Maurice Mauricio Mavis Max Maxine Maxwell Maya Maynard Mayra Meagan Megan
Meghan Mei Melanie Melba Melinda Melissa Melody Melva Melvin Mercedes Meredith Merle Merrill Mia
Micah Michael Michaela Micheal Michel Michele Michelle Mickey Miguel Mikayla Mike Mikhail Mila Milan
Mildred Miles Milford Millard Millie Milo Milton Minerva Minh Minho Minji Minnie Miranda Miriam
Misty Mitch Mitchell Mohamed Mohammad Mohammed Molly Mona Monica Monika Monique Monroe Monte Morgan
Moritz Morris Moses Muhammad Muriel Murray Mustafa Myra Myron Myrtle Nadia Nadine Nancy Nannie Naomi
Napoleon Natalia Natalie Natasha Nathalie Nathan Nathaniel Ned Neha Neil Nell Nellie Nelson Nestor
Nettie Nevaeh Ngozi Nia Nicholas Nichole Nick Nickolas Nicolas Nicole Nikhil Nikki Niklas Nikolai
Nils Nina Noah Noe Noel Nola Nolan Nona Noor Nora Norah Norbert Noreen Norma Norman Norris Octavio
Odell Olaf Oleg Olga Olive Oliver Olivia Olivier Ollie Oluwaseun Omar Opal Ophelia Ora Orlando
Orville Oscar Osvaldo Otis Otto Owen Pablo Paige Pamela Paola Paolo Parker Pasquale Patricia Patrick
Patsy Patti Patty Paul Paula Paulette Pauline Pavel Pearl Pearlie Pedro Peggy Penelope Penny Percy
Perry Pete Peter Petra Peyton Philip Philippe Phillip Phoebe Phyllis Pierre Pilar Piper Polly Pooja
Porter Pranav Preston Priscilla Priya Quentin Quincy Quinn Rachel Rafael Raheem Rahul Raj Rajesh
Ralph Ramesh Ramiro Ramon Ramona Randal Randall Randolph Randy Raphael Raquel Rashid Raul Ravi Ray
Raymond Raymundo Reagan Reba Rebecca Rebekah Reed Reese Reggie Regina Reginald Reid Reinaldo Remi
Rena Rene Renee Reuben Reva Rex Rey Reynaldo Rhett Rhoda Rhonda Ricardo Richard Rick Ricky Rico
Riley Rita Rob Robbie Robert Roberta Roberto Robin Robyn Rocco Rochelle Rocio Rod Roderick Rodney
Rodolfo Rodrigo Rogelio Roger Rohan Roland Rolando Rolf Roman Romeo Ron Ronald Ronnie Ronny Rory
Rosa Rosalie Rosalind Rosalyn Rosanne Roscoe Rose Roseann Rosella Rosemary Rosetta Rosie Ross Rowan
Rowena Rowland Roxanne Roxie Roy Royce Ruben Ruby Rudolph Rudy Rueben Rufus Russ Russell Ruth Ryan
Ryder Rylee Ryleigh Sabine Sabrina Sadie Sakura Sal Sallie Sally Salvador Sam Samantha Samir Sammy
Samuel Sana Sandra Sandrine Sandy Sanjay Santiago Santos Sara Sarah Saul Savannah Sawyer Scarlett
Scot Scott Sean Sebastian Sebastien Selma Serena Sergei Sergio Seth Seymour Shana Shane Shanna
Shannon Shari Sharon Shaun Shauna Shawn Shawna Sheena Sheila Shelby Shelia Shelly Shelton Sheri
Sherman Sherry Sheryl Shirley Shreya Sid Sidney Sienna Silas Silke Silvia Simon Simone Sipho Skylar
Sloane Sneha Sofia Sondra Sonia Sonny Sonya Sophia Sophie Sota Spencer Stacey Stacy Stan Stanley
Stefan Stefanie Stefano Stella Stephan Stephanie Stephen Sterling Steve Steven Stewart Stuart Sue
Sung Sunil Suresh Susan Suzanne Sven Sybil Sydney Sylvester Sylvia Sylvie Tabitha Tad Takashi Tamara
Tami Tamika Tammy Tania Tanya Tara Tariq Tasha Tatiana Taylor Teagan Ted Terence Teresa Terra
Terrence Terri Terry Tessa Thabo Thad Thaddeus Thao Thea Thelma Theo Theodore Theresa Therese
Thierry Thomas Tia Tiffany Tillie Tim Timothy Tina Tisha Tobias Toby Tod Todd Tom Tomas Tommie Tommy
Toni Tonia Tony Tonya Tracey Tracy Travis Trent Trevor Trey Tricia Trinity Trisha Tristan Troy Trudy
Truman Tuan Tucker Tunde Ty Tyler Tyrone Ulrich Ulysses Una Ursula Val Valarie Valentin Valentina
Valeria Valerie Van Vance Vanessa Vaughn Velma Vera Vern Verna Vernon Veronica Vicki Vickie Victor
Victoria Vijay Vikram Viktor Vilma Vince Vincent Viola Violet Virgie Virgil Virginia Vivian Vladimir
Von Wade Waldo Walker Wallace Walter Wanda Ward Warren Waylon Wayne Wei Weldon Wendell Wendy Wesley
Weston Whitney Wilbert Wilbur Wiley Wilford Wilfred Wilfredo Wilhelmina Will Willa Willard William
Willie Willis Willow Wilma Wilson Winfred Winifred Winnie Winston Wolfgang Woodrow Wren Wyatt Xavier
Ximena Xiu Yan Yasmin Yolanda Yuki Yumi Yuna Yuri Yusuf Yvette Yvonne Zachariah Zachary Zack Zainab
Zane Zara Zeke Zelda Zella Zoe Zoey Zuri
`

// ambiguousNames are given names that are also common words, places,
// brands or software names.
const ambiguousNames = `
Ace Ada Alexa Amber Angel April Archer Ariel Art Athena August Aurora Austin Autumn Avery Bailey
Basil Beau Belle Bill Blake Booker Brandy Brooklyn Brooks Bud Buster Carmen Carolina Carter Chad
Chance Charity Charlie Charlotte Chase Chelsea Cheyenne Christian Claude Clay Clementine Cliff Cole
Cooper Cruz Crystal Daisy Dakota Dale Dallas Dawn Dean Denver Devon Dixie Don Drew Earl Eden Edison
Ember Emerson Eve Faith Fern Finley Flora Florence Foster Frank Freeman Gale Garland Gene Georgia
Ginger Glen Grace Grant Guy Harley Harmony Harper Hazel Heath Heather Holly Homer Hope Hudson Hugo
Hunter Iris Israel Ivy Jack Jackson Jade Jan Jasmine Jasper Jay Jean Jewel Jordan Joy Jules Julia
June Juniper Kay Kennedy Kent Kingston Kinsley Lance Lane Laurel Lea Lee Lilly Lily Lincoln London
Londyn Luna Luz Mack Madison Mae Major Mark Mason Max May Melody Mercedes Milan Miles Misty Monroe
Morgan Napoleon Nevaeh Nova Olive Opal Oscar Parker Pat Pearl Penny Peyton Piper Polly Porter Quincy
Quinn Ray Reagan Reed Reese Rex Riley Robin Roman Rose Rosemary Royce Ruby Rusty Sage Sandy Savannah
Sawyer Sierra Skylar Sloane Stella Sterling Sue Summer Sydney Taylor Teagan Tia Trinity Troy Tucker
Una Van Vance Victoria Violet Virginia Wade Walker Ward Will Willow Wilson Wren
`
